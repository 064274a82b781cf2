# syntax=docker/dockerfile:1
# order-sync-worker as a container. With Redis beside it: docker compose up -d (compose.yaml).
# Alone: docker build -t order-sync-worker . && docker run -v osw-data:/data -e REDIS_URL=redis://... order-sync-worker

# --- build: dependencies, with the toolchain better-sqlite3 needs when no prebuilt binary fits ---
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm ci && npm cache clean --force
COPY . .
# The production bundle (dist/, see .ci/build.ts), then only what it needs at run time.
RUN npm run build && npm prune --omit=dev

# --- runtime: the same Node 24, no compilers, an unprivileged user ---
FROM node:24-bookworm-slim AS runtime
# MALLOC_ARENA_MAX=2 here, a 2 MB young generation and --optimize-for-size in CMD: measured in
# bench/footprint.ts (README, Footprint).
ENV NODE_ENV=production \
    DATA_DIR=/data \
    HTTP_PORT=3000 \
    MALLOC_ARENA_MAX=2
WORKDIR /app
# The code stays root-owned and read-only for the service user; only /data is written.
COPY --from=build /app/package.json /app/package.json
COPY --from=build /app/node_modules /app/node_modules
COPY --from=build /app/dist /app/dist
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# /healthz answers without credentials. Node's own fetch: the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself as the main process (not npm): SIGTERM from `docker stop` reaches the worker, which
# finishes the running job (SHUTDOWN_TIMEOUT) and closes Redis and SQLite.
CMD ["node", "--max-semi-space-size=2", "--optimize-for-size", "dist/main.js"]
