# Seatplan: `make run` to try it, `make test` for the whole suite.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
HTMX := static/vendor/htmx.min.js
export SEATPLAN_DATA_DIR ?= .data

.PHONY: run build test bench generate api-doc check-generated vet lint deps-postgres deps-chromium deps-cc deps-java clean

## run: build, start the embedded PostgreSQL, load demo data, serve http://127.0.0.1:8080
run: build deps-postgres
	./bin/seatplan serve

## build: compile bin/seatplan
build: $(HTMX)
	$(GO) build -o bin/seatplan ./cmd/seatplan

## test: vet, staticcheck, tidy modules, templ drift check, and every test (store, handlers, views, end-to-end in Chromium)
test: $(HTMX) deps-postgres deps-chromium deps-cc deps-java vet lint check-generated
	$(GO) test -race -count=1 -timeout 30m ./...

## bench: the performance targets, written to bench.out; summarised in docs/BENCHMARKS.md
bench: $(HTMX) deps-postgres
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 30m ./... | tee bench.out

## generate: regenerate templ components
generate:
	$(GO) tool templ generate

## api-doc: render docs/API.md from the OpenAPI document (handlers/apidoc/openapi.json)
api-doc:
	UPDATE_API_DOC=1 $(GO) test -count=1 -run TestReference_IsCurrent ./handlers/apitest

vet:
	$(GO) vet ./...

# Go files are gofmt-formatted; staticcheck is pinned as a tool in go.mod;
# go.mod and go.sum must be tidy.
lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$unformatted" ]; then \
		echo "not gofmt-formatted (run gofmt -w):"; echo "$$unformatted"; exit 1; fi
	$(GO) tool staticcheck ./...
	$(GO) mod tidy -diff

# The generated *_templ.go files are committed; CI fails when they drift.
check-generated: generate
	@if [ -n "$$(git status --porcelain -- 'views/*_templ.go')" ]; then \
		echo "templ output differs from the committed *_templ.go files; run make generate and commit:"; \
		git status --porcelain -- 'views/*_templ.go'; exit 1; fi

# Front-end packages come from the npm registry, pinned by package-lock.json:
# htmx for the pages, axe-core and vnu-jar for the accessibility and HTML tests.
NPM_INSTALLED := node_modules/.package-lock.json
$(NPM_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(HTMX): $(NPM_INSTALLED)
	cp node_modules/htmx.org/dist/htmx.min.js $@

# PostgreSQL's server binaries run the embedded cluster and the test clusters.
deps-postgres:
	@if ! command -v postgres >/dev/null && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then \
		echo "Installing PostgreSQL server binaries (Debian package postgresql)"; \
		$(call apt_install,postgresql); fi

deps-chromium:
	@if ! command -v chromium >/dev/null; then \
		echo "Installing Chromium for the browser tests (Debian package chromium)"; \
		$(call apt_install,chromium); fi

# The Nu Html Checker (vnu-jar) runs on Java.
deps-java:
	@if ! command -v java >/dev/null; then \
		echo "Installing Java for the HTML checker (Debian package default-jre-headless)"; \
		$(call apt_install,default-jre-headless); fi

# go test -race needs cgo, and so a C compiler.
deps-cc:
	@if ! command -v gcc >/dev/null; then \
		echo "Installing a C compiler for the race detector (Debian package gcc)"; \
		$(call apt_install,gcc); fi

# apt_install installs Debian packages as root, or says how to.
define apt_install
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(1) >/dev/null; \
	else echo "please run: sudo apt-get install $(1)"; exit 1; fi
endef

clean:
	rm -rf bin node_modules $(HTMX) bench.out

