# The deployment tooling image, replacing the old Terraform + AWS CLI one:
# OpenTofu, tflint and trivy built from source at pinned versions, and
# spindle (for spindle stage). Credentials come from the environment
# (AWS SDK default chain); none are baked in.
#   docker build -f deploy/docker/tooling.Dockerfile -t spindle-tooling .
FROM golang:1.26-bookworm AS build
ARG OPENTOFU_VERSION=v1.12.6
ARG TFLINT_VERSION=v0.64.0
ARG TRIVY_VERSION=v0.74.0
ENV CGO_ENABLED=0 GOBIN=/out
RUN go install "github.com/terraform-linters/tflint@${TFLINT_VERSION}" \
 && GOEXPERIMENT=jsonv2 go install "github.com/aquasecurity/trivy/cmd/trivy@${TRIVY_VERSION}" \
 && dir=$(go mod download -json "github.com/opentofu/opentofu@${OPENTOFU_VERSION}" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p') \
 && cp -r "$dir" /tmp/opentofu && chmod -R u+w /tmp/opentofu \
 && cd /tmp/opentofu && go build -trimpath -ldflags "-s -w" -o /out/tofu ./cmd/tofu
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags "-s -w" -o /out/spindle ./cmd/spindle

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 deploy
COPY --from=build /out/ /usr/local/bin/
USER 10001
WORKDIR /work
HEALTHCHECK NONE
ENTRYPOINT ["tofu"]
