/** Runs started only under the tenant's run lock: one still `running` when the lock is taken was interrupted. */
export const LOCKED_RUN_KINDS = ['cycle', 'recompute'] as const;

export const INTERRUPTED = 'interrupted: the process running it stopped (killed or restarted); a later run went on';
