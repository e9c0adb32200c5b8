# Reins: one image for the server (the default command) and the worker
# (`node apps/worker/dist/main.js`). Multi-stage: the build stage installs every dependency and
# builds the dashboard, the server and the worker; the runtime stage holds the built JavaScript
# and the production dependencies only, and runs as the unprivileged `node` user.
#
# There is no Docker engine where Reins is developed: `pnpm check:docker`
# (scripts/check-docker-build.ts) runs this file's build-stage RUN steps and runtime COPY steps
# on a clean `git archive` of HEAD and starts the result against PostgreSQL. Keep each RUN step a
# plain shell command so that the check can run it.

FROM node:20-slim AS build
ENV CI=true
RUN npm install -g pnpm@12.4.2
WORKDIR /app
COPY . .
RUN pnpm install --frozen-lockfile
RUN pnpm --filter @reins/web --filter @reins/server --filter @reins/worker build
# Production dependencies only (tsup, vite, vitest … go); the bundles need nothing else.
RUN pnpm install --frozen-lockfile --prod

FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    REINS_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json /app/pnpm-workspace.yaml ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/apps/server/package.json ./apps/server/package.json
COPY --from=build /app/apps/server/node_modules ./apps/server/node_modules
COPY --from=build /app/apps/server/dist ./apps/server/dist
COPY --from=build /app/apps/worker/package.json ./apps/worker/package.json
COPY --from=build /app/apps/worker/node_modules ./apps/worker/node_modules
COPY --from=build /app/apps/worker/dist ./apps/worker/dist
COPY --from=build /app/apps/web/dist ./apps/web/dist
# The embedded database (no DATABASE_URL) lives in /data; mount a volume there to keep it.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--max-semi-space-size=16", "--enable-source-maps", "apps/server/dist/main.js"]
