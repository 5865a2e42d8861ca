# keysteward's standalone host (`serve`, the default) and rotation worker (`worker`) — the image deploy/main.bicep runs
# in the Container App.
#   docker build -t keysteward:0.1.0 .
#   docker run --rm --env-file keysteward.env -v $PWD/estate.json:/etc/keysteward/estate.json:ro keysteward:0.1.0 worker

# ---- build: the full dependency tree and the TypeScript compiler
FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; the build runs below.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY domain ./domain
COPY app ./app
COPY adapters ./adapters
COPY functions ./functions
COPY cli ./cli
COPY hosts ./hosts
COPY emulators ./emulators
COPY bench ./bench
COPY chaos ./chaos
RUN npm run build

# ---- runtime: production dependencies and the compiled output only
FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the build) needs devDependencies; the compiled output comes from the build stage.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY host.json ./
COPY demo ./demo
# The image's `node` user (uid 1000): nothing in /app is writable by it, and it needs nothing to be.
USER node
# `serve` listens on PORT (7071); it binds beyond loopback only with HOST=0.0.0.0 and both API_KEY and EVENTGRID_KEY set.
EXPOSE 7071
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
