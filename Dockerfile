# syntax=docker/dockerfile:1
# licensewire standalone service.
#   docker build -t licensewire .
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://... -e ADMIN_TOKEN=... licensewire
# Without DATABASE_URL it falls back to the embedded Postgres (PGlite) in /app/data:
# one replica only; mount a volume there to keep its data.

# ---- build: compile TypeScript to dist/ -------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` script builds, and the sources are not
# copied yet; the build runs explicitly below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
COPY examples ./examples
RUN npm run build

# ---- runtime: production dependencies + compiled code -----------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run the TypeScript build, which needs devDependencies.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
COPY console ./console
# Writable by the service user: the embedded database's default PGLITE_DATA_DIR is ./data/pglite.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/server.js"]
