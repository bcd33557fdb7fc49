# The spindle binary: static, non-root, on a minimal base with CA
# certificates (for S3 over TLS).
#   docker build -f deploy/docker/spindle.Dockerfile -t spindle .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
RUN CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath \
      -ldflags "-s -w -X github.com/spindle-ml/spindle/cli.Version=${VERSION}" \
      -o /out/spindle ./cmd/spindle

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/spindle /usr/local/bin/spindle
USER 65532:65532
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/spindle"]
CMD ["--help"]
