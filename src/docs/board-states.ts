/**
 * The states a board row and a role can be in: names only, so the CLI offers and checks them
 * (`board set --status`) without loading the documents' code.
 */
export const STATUSES = ['pending', 'in_progress', 'blocked', 'done'] as const;
export const ACTIVATION = ['unassigned', 'assigned', 'first_heartbeat', 'active'] as const;
