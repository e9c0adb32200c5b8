import { sdkState } from '../../services/sdkState.js';
import { authedProcedure, router } from '../trpc.js';

/** What the SDK's local evaluation mode syncs: the same service as `GET /api/v1/sdk/state`. */
export const sdkRouter = router({
  state: authedProcedure.query(({ ctx }) => sdkState(ctx.reins)),
});
