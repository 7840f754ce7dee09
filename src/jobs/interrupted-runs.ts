/** Runs started only under the tenant's run lock: one still `running` when the lock is taken was interrupted. */
export const LOCKED_RUN_KINDS = ['cycle', 'recompute', 'dry-run'] as const;

/** The kind of a cycle run with `--dry-run` (or the tenant's dry-run setting): it plans and writes nothing. */
export const DRY_RUN_KIND = 'dry-run';

export const INTERRUPTED = 'interrupted: the process running it stopped (killed or restarted); a later run went on';
