/**
 * The statuses a ticket can have: names only, so the CLI offers and checks them (`ticket set
 * --status`, `ticket list --status`) without loading the documents' code.
 */
export const TICKET_STATUSES = ['open', 'in_progress', 'blocked', 'done', 'declined'] as const;
