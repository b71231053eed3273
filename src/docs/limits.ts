/** The team's documents are Markdown (and hutctl.yaml): a few MiB is far more than any holds. */
export const DOCUMENT_MAX_BYTES = 8 * 1024 * 1024;
