# metasheet-cache service image. Build with `make image` (tags it with the reference the
# staging manifests use: `npx tsx k8s/main.ts --print-image`, e.g. metasheet-cache:0.1.0).
# The service runs its TypeScript through tsx (a production dependency): no build step.

FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only (express, prom-client, redis, lru-cache, zod, tsx).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    PORT=8900
WORKDIR /app
# uid/gid 10001 = POD_USER_ID in k8s/service-env.ts (the pod's runAsUser/runAsGroup).
RUN groupadd --system --gid 10001 metasheet \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin metasheet
# Owned by root and read-only to the service user: the pod also mounts the root FS read-only.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
# Only what runs: .dockerignore leaves out tests; test support lives in test/, outside the
# context (checked statically by k8s/image.test.ts).
COPY service ./service
USER 10001:10001
EXPOSE 8900
# exec form: node is PID 1 and receives SIGTERM directly, so the service drains in-flight requests.
CMD ["node", "--import", "tsx", "service/main.ts"]
