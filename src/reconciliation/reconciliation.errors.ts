import { defineErrors } from '../platform/errors/catalogue.js';

/** The reconciliation module's errors: runs of the card base's reconciliation, their reports and waves. */
export const ReconciliationErrors = defineErrors('reconciliation', {
  RECONCILIATION_RUN_IN_PROGRESS: {
    status: 409,
    description:
      'Another reconciliation run is pending or running (one at a time); wait for it to finish (GET /v1/reconciliation/runs) and ask again.',
    message:
      'Another reconciliation run is pending or running; wait for it to finish (GET /v1/reconciliation/runs) and ask again',
  },
  RECONCILIATION_RUN_NOT_FOUND: {
    status: 404,
    description: 'No reconciliation run has this id; GET /v1/reconciliation/runs lists them.',
    message: 'No reconciliation run has this id; GET /v1/reconciliation/runs lists them',
  },
  RECONCILIATION_RUN_NOT_DONE: {
    status: 409,
    description: 'The run has not finished (`status`): its report exists once it is done; read the run again later.',
    message: (status: string) => ({
      message: `The run is ${status}: its report exists once it is done`,
      details: { status },
    }),
  },
});
