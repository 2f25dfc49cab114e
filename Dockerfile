# baucu — one image for web and worker (ROLE=web|worker|all). Multi-stage: build with dev dependencies, run compiled
# JavaScript with production dependencies, Debian's Chromium and fonts for PDFs, as a non-root user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY config ./config
COPY core ./core
COPY plugins ./plugins
COPY jobs ./jobs
COPY views ./views
COPY public ./public
COPY scripts ./scripts
RUN npm run build

FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-noto-core fonts-liberation2 poppler-utils ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production CHROME_PATH=/usr/bin/chromium DATA_DIR=/var/lib/baucu REFERENCE_DATA_DIR=/srv/reference-data PORT=3000
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./
RUN useradd --system --create-home --uid 10001 baucu && mkdir -p /var/lib/baucu && chown baucu /var/lib/baucu
USER baucu
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD curl -fsS "http://127.0.0.1:${PORT}/healthz" || exit 1
CMD ["node", "jobs/main.js"]
