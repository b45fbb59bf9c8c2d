# syntax=docker/dockerfile:1
#
# One image, two commands:
#   docker run … countersign                                  the app (webhooks, jobs, sweeps)
#   docker run … countersign node dist/server/worker-main.js  an execution worker
# and a third for operators:
#   docker run … countersign node scripts/migrate.js          migrations only (also run at start)
#
# docker-compose.yml runs the app, one worker and PostgreSQL 16 from this file.

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: every dependency, tsc to dist/ -------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# ---- runtime: production dependencies, dist/, templates/, app.yml --------------------------
FROM ${NODE_IMAGE} AS runtime
# HOST: Probot listens on localhost unless told otherwise, unreachable from outside a container.
# NODE_ENV=production: JSON logs, and no setup page: without APP_ID and a private key the app
# stops with an error instead (register the app with `npm start` on a workstation first).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY templates ./templates
COPY app.yml ./
COPY scripts/migrate.js ./scripts/migrate.js
# The code stays root-owned and read-only to the app; only the embedded store's directory
# (used when DATABASE_URL is unset: mount a volume on it) belongs to the runtime user.
RUN mkdir -p /app/.countersign-data && chown node:node /app/.countersign-data
USER node
EXPOSE 3000
# /healthz: the process lives (/readyz also checks the store). 127.0.0.1 rather than
# localhost: HOST=0.0.0.0 is IPv4 only and localhost may resolve to ::1 first. The worker
# has no HTTP server: docker-compose.yml disables this check for it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/server/main.js"]
