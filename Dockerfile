# The Workers service image (specs/deployment.md). Build from the repository root:
#
#   docker build -t workers:dev .
#   docker build -t workers:dev --build-arg AGENT_CLIS="@anthropic-ai/claude-code@2.1.332" .
#
# Three stages: `build` publishes src/Workers.Host with the .NET SDK (no test project is copied or built), `node`
# only provides a pinned Node.js for the agent CLIs (the distribution's own node is too old for gemini-cli), and
# `runtime` is the ASP.NET Core runtime with that Node.js, the agent CLIs from npm and the published service.
#
# tests/Workers.IntegrationTests/Deployment/ImageEntrypointTests.cs reads this file: it runs the `dotnet publish`
# command below, then the ENTRYPOINT and CMD with the runtime stage's ENV lines, and checks /healthz, /readyz and a
# clean SIGTERM stop. Keep ENV values literal (only $PATH is expanded there).

ARG DOTNET_VERSION=10.0-noble
# Node.js 22 LTS. For a reproducible image pin a patch release or a digest: --build-arg NODE_IMAGE=node:22.x.y-bookworm-slim
ARG NODE_IMAGE=node:22-bookworm-slim

# ---------------------------------------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
# What the build reads: the SDK pin, the shared MSBuild settings and package versions, and the sources. .dockerignore
# keeps tests/, bin/ and obj/ out of the context.
COPY global.json Directory.Build.props Directory.Packages.props BannedSymbols.txt .editorconfig ./
COPY src/ src/
# The NuGet cache is a BuildKit cache mount: it speeds up rebuilds and stays out of the image.
RUN --mount=type=cache,id=workers-nuget,target=/root/.nuget/packages \
    dotnet publish src/Workers.Host -c Release -o /app

# ---------------------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS node

# ---------------------------------------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime

# The agent CLIs, as npm package specs with pinned versions (those of .ci/prepare.sh, which the real-CLI tests ran;
# specs/families.md). The default serves the shipped profiles claude, claude-agent-acp and codex (claude-agent-acp runs
# the claude installed here: its profile sets CLAUDE_CODE_EXECUTABLE=claude); add e.g.
# "@zed-industries/codex-acp@0.16.0 @google/gemini-cli@0.61.0 opencode-ai@1.18.33" for codex-acp, gemini-acp and
# opencode-acp (without their CLI those profiles are listed as unavailable). Empty installs none (the simulated agent
# still works).
ARG AGENT_CLIS="@anthropic-ai/claude-code@2.1.332 @zed-industries/claude-agent-acp@0.23.1 @openai/codex@0.171.0"
ARG WORKERS_UID=10001

# Node.js: the binary and the global node_modules (npm, npx, corepack) from the pinned node image. npm and npx are
# links into node_modules; they are made here rather than copied, since COPY would follow the links.
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && node --version && npm --version

# The service runs every agent in its own process group through `setsid` (util-linux), and its orphan watchdog is a
# small `sh` script using sed and tr. Ubuntu's base image has them all but util-linux may be missing. Profiles in
# conversation isolation run their agents under bubblewrap (specs/isolation.md; as a non-root user it needs unprivileged
# user namespaces from the host).
RUN if ! command -v setsid >/dev/null 2>&1 || ! command -v bwrap >/dev/null 2>&1; then \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends util-linux bubblewrap \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
    && command -v setsid && command -v bwrap && command -v sh && command -v sed && command -v tr

# The agent CLIs, installed as root into /opt/agents (read-only to the service user: an agent cannot update itself).
# Claude Code's native binary is put in place by its npm postinstall; `claude --version` fails the build if an npm that
# blocks install scripts left the placeholder.
RUN if [ -n "$AGENT_CLIS" ]; then \
      npm install --global --prefix /opt/agents --omit=dev --no-audit --no-fund --no-update-notifier $AGENT_CLIS \
      && npm cache clean --force \
      && if [ -e /opt/agents/bin/claude ]; then /opt/agents/bin/claude --version; fi; \
    else \
      mkdir -p /opt/agents/bin; \
    fi \
    && rm -rf /root/.npm

# A non-root user with a fixed uid (the chart's securityContext uses it) and the data directory it owns.
RUN groupadd --gid "$WORKERS_UID" workers \
    && useradd --uid "$WORKERS_UID" --gid "$WORKERS_UID" --no-create-home --home-dir /data --shell /usr/sbin/nologin workers \
    && mkdir -p /data \
    && chown "$WORKERS_UID:$WORKERS_UID" /data

COPY --from=build /app /app

# The environment contract of the image (specs/deployment.md). Everything else is configured the .NET way:
# Workers__Profiles__<name>__Pool__MinReady=2 and so on.
# - PATH: the agent CLIs first; agent processes inherit PATH, LANG, TZ and TMPDIR and nothing else of this list.
# - ASPNETCORE_HTTP_PORTS is emptied: the base image sets 8080, but Workers__Service__Urls decides where Kestrel listens.
ENV PATH=/opt/agents/bin:$PATH \
    LANG=C.UTF-8 \
    TMPDIR=/tmp \
    ASPNETCORE_HTTP_PORTS="" \
    Workers__DataDirectory=/data \
    Workers__Service__Urls=http://0.0.0.0:8080

# The SQLite store (workers.db), the agents' per-profile HOME directories and default workspaces live here.
VOLUME ["/data"]
EXPOSE 8080
USER ${WORKERS_UID}:${WORKERS_UID}
WORKDIR /data

# The base image has neither curl nor wget, but it has Node.js now: fetch() is built in. (Kubernetes ignores
# HEALTHCHECK; the chart has its own probes.)
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Exec form, no shell: SIGTERM reaches the .NET process, which drains running turns (Workers:Maintenance:DrainDeadline)
# and stops every agent before it exits. The service does not reap orphaned grandchildren as PID 1 would have to:
# run with `docker run --init`, or in Kubernetes with shareProcessNamespace (the chart's default).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/workers"]
CMD ["serve"]
