import { createUserInput, updateUserInput, userIdInput } from '../../schemas/users.js';
import { me } from '../../services/sessions.js';
import { createUser, listUsers, resetPassword, updateUser } from '../../services/users.js';
import { authedProcedure, rawInput, router } from '../trpc.js';

/** The dashboard's Users page: all need `users:admin` except `me`. */
export const usersRouter = router({
  list: authedProcedure.query(({ ctx }) => listUsers(ctx.reins)),
  create: authedProcedure
    .input(rawInput(createUserInput))
    .mutation(({ ctx, input }) => createUser(ctx.reins, input)),
  update: authedProcedure
    .input(rawInput(updateUserInput))
    .mutation(({ ctx, input }) => updateUser(ctx.reins, input)),
  resetPassword: authedProcedure
    .input(rawInput(userIdInput))
    .mutation(({ ctx, input }) => resetPassword(ctx.reins, input)),
  me: authedProcedure.query(({ ctx }) => me(ctx.reins)),
});
