# The inbox-agent worker image: compiled JS on the official slim Node 20, production dependencies only
# (no tsx, no emulators), run as the unprivileged `node` user. `scripts/check-image-contents` assembles
# the same contents without Docker and runs a sweep with them; CI lints this file with hadolint.
# Another process from the same image: `docker run … node dist/<entry>.js`.
ARG NODE_IMAGE=node:20-bookworm-slim

# better-sqlite3 is native: its install fetches a prebuilt binary, or compiles one where none fits.
# The compilers stay in the install stages; the final image copies only their node_modules.
FROM ${NODE_IMAGE} AS toolchain
# Unpinned (DL3008): Debian point releases retire exact versions, and none of this ships.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*

# Compile: tsc into dist/ and both workflow bundles prebuilt (plain, and traced for OTEL_* set), so
# workers never run webpack at start.
FROM toolchain AS build
# Behind a TLS-intercepting proxy, npm needs its CA: pass the bundle as a build-time mount and its path
# here (scripts/check-container.ts does). An ARG, not ENV: nothing of it reaches the final image.
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json package-lock.json ./
COPY emulators/package.json emulators/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# The runtime dependencies alone: the build's install pruned, so native modules (better-sqlite3) are
# compiled once. --workspaces=false drops the emulators' dependencies; the workspace's link goes too.
FROM build AS deps
# Then what the image never runs: the Temporal core's binaries for other platforms (~110 MB) and
# better-sqlite3's sources and object files (its one .node binary stays).
RUN npm prune --omit=dev --workspaces=false --no-audit --no-fund \
    && rm -rf node_modules/@inbox-agent \
    && arch="$(node -p 'process.arch === "arm64" ? "aarch64" : "x86_64"')-unknown-linux-gnu" \
    && find node_modules/@temporalio/core-bridge/releases -mindepth 1 -maxdepth 1 ! -name "$arch" -exec rm -rf {} + \
    && mv node_modules/better-sqlite3/build/Release/better_sqlite3.node /tmp/ \
    && rm -rf node_modules/better-sqlite3/build node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
    && mkdir -p node_modules/better-sqlite3/build/Release \
    && mv /tmp/better_sqlite3.node node_modules/better-sqlite3/build/Release/ \
    && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    INBOX_AGENT_METRICS_ADDRESS=0.0.0.0:9464 \
    INBOX_AGENT_STATE_DIR=/app/.data
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
# 1000 is the official image's unprivileged `node` user, numeric so Kubernetes' runAsNonRoot can check it.
# The operator CLI is `inbox-agent` on the PATH (package.json bin), as its output names it.
RUN mkdir .data && chown 1000:1000 .data && ln -s /app/dist/client/cli.js /usr/local/bin/inbox-agent
USER 1000:1000
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "dist/worker/healthcheck.js"]
# node itself as PID 1 (no npm in between), so SIGTERM reaches the worker and it drains.
CMD ["node", "dist/worker/main.js"]
