# metasheet-cache — see README.md. `make dev` and `make test` are the quick start.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_DEPS := node_modules/.package-lock.json

.PHONY: help setup dev test typecheck lint load bench

help: ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(NODE_DEPS): package-lock.json
	npm ci --no-audit --no-fund

setup: ## install npm deps, Debian prometheus/redis-server when missing, start Redis if none answers
	bash scripts/setup.sh

# The demo observes: FEATURE_CACHE=true over NullCache (the service's own default is off).
# exec: node replaces the recipe shell, so SIGTERM/SIGHUP reach it (npx does not forward
# signals); make passes SIGTERM on to it.
dev: $(NODE_DEPS) ## run the service on :8900 with embedded defaults (no Redis, no cluster)
	FEATURE_CACHE=$${FEATURE_CACHE:-true} exec node --import tsx service/main.ts

test: setup ## typecheck + lint + every test (unit, end-to-end, Redis)
	npm run typecheck
	npm run lint
	npx vitest run

typecheck: $(NODE_DEPS) ## tsc --noEmit, strict
	npm run typecheck

lint: $(NODE_DEPS) ## biome
	npm run lint

load: $(NODE_DEPS) ## drive the example API: make load URL=http://127.0.0.1:8900 DURATION=30 RATE=200
	npx tsx scripts/loadgen.ts --url $(or $(URL),http://127.0.0.1:8900) --duration $(or $(DURATION),30) --rate $(or $(RATE),200)

bench: ## micro-benchmarks with same-run baselines (not part of make test; installs wrk)
	bash scripts/setup.sh --bench
	npx tsx scripts/bench.ts
	npx tsx scripts/bench-estimator.ts
	npx tsx scripts/bench-scrape.ts
	npx tsx scripts/bench-redis.ts
	npx tsx scripts/bench-http.ts

.PHONY: phase2-report

# Unset WINDOW/OUT fall to the script's defaults (the window: monitoring/config.ts phase2Report.window).
phase2-report: $(NODE_DEPS) ## Phase 2 candidate report (Markdown + JSON): make phase2-report PROM_URL=http://… [WINDOW=7d] [OUT=reports/phase2] [MATCHERS='namespace="staging"']
	npx tsx scripts/phase2-report.ts --prom-url "$(PROM_URL)" $(if $(WINDOW),--window $(WINDOW)) $(if $(OUT),--out $(OUT)) $(if $(MATCHERS),--matchers '$(MATCHERS)')

.PHONY: dashboards alerts grafana-push

# The k8s YAML embeds dashboards and rules: regenerate it too, so it is never left stale.
dashboards: $(NODE_DEPS) ## write dashboards/generated/*.json from dashboards/*.ts (and k8s/generated)
	npx tsx dashboards/emit.ts
	npx tsx k8s/main.ts

alerts: $(NODE_DEPS) ## write alerts/generated/rules.yaml (+ promtool tests) from alerts/*.ts, then promtool check/test them
	npx tsx alerts/emit.ts
	promtool check rules alerts/generated/rules.yaml
	promtool test rules alerts/generated/rules.test.yaml
	npx tsx k8s/main.ts

# GRAFANA_TOKEN reaches the script through the environment, never on a command line.
grafana-push: $(NODE_DEPS) ## upsert the dashboards into a Grafana folder: make grafana-push GRAFANA_URL=… GRAFANA_TOKEN=… [GRAFANA_FOLDER=…]
	@npx tsx scripts/grafana-push.ts

.PHONY: synth deploy-staging image

synth: $(NODE_DEPS) ## write k8s/generated/ (app, monitoring, dashboards + the FEATURE_CACHE=true patch)
	npx tsx k8s/main.ts

deploy-staging: $(NODE_DEPS) ## synth, validate, kubectl diff, apply to the staging context (DRY_RUN=1: YAML to a named file, plan only)
	FEATURE_CACHE=$(FEATURE_CACHE) DRY_RUN=$(DRY_RUN) npx tsx scripts/deploy-staging.ts

# The tag is the one the manifests use (package.json version unless IMAGE_TAG is set).
image: $(NODE_DEPS) ## docker build the service image the staging manifests run (needs a Docker engine)
	docker build -t "$$(npx tsx k8s/main.ts --print-image)" .
