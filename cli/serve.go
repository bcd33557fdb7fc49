package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-ml/spindle/serve"
)

type serveFlags struct {
	models           []string
	addr             string
	tokenFile        string
	tokenEnv         string
	tlsCert, tlsKey  string
	o                serve.Options
	t                serve.Timeouts
	poll             time.Duration
	shutdownTimeout  time.Duration
	allowInsecureNet bool
}

func serveCmd(e *env) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve --model [NAME=]DIR … [--addr 127.0.0.1:8080]",
		Short: "Answer scoring requests over HTTP with saved models",
		Long: `Serve loads models saved by 'spindle run' (directories or s3:// prefixes)
and answers HTTP/JSON scoring requests with the whole fitted pipeline:
raw columns in, prediction, probability and predictedLabel out.

  POST /v1/models/NAME:predict   a JSON object (one row), an array of
                                 objects, or CSV with a header line
                                 (Content-Type: text/csv)
  GET  /v1/models                input columns, outputs, stages, metrics
  GET  /healthz, /readyz         liveness, readiness
  GET  /metrics                  Prometheus text

A model's NAME is the last element of its DIR unless given as NAME=DIR.
Predictions are byte for byte those 'spindle predict' writes to JSON Lines.

Safe by default: it listens on loopback only; another address needs
--token-file or --token-env (a bearer token every request but the health
checks must carry) and, off loopback, TLS (--tls-cert, --tls-key) unless
--insecure-network says the network is trusted. Bodies, rows per request,
requests scored at once and waiting are bounded; slow clients time out.

A model whose _SUCCESS manifest changes (a new 'spindle run' into the same
directory) is reloaded within --poll, and every model on SIGHUP; requests
in flight finish on the version they started with, and a model that fails
to load leaves the old version serving. SIGTERM or SIGINT drain: /readyz
turns 503, the requests in flight finish (up to --shutdown-timeout), then
the process exits 0.`,
		Example: `  spindle serve --model out/spam/models/tfidf
  curl -s localhost:8080/v1/models/tfidf:predict -d '{"text":"WIN a FREE prize now"}'
  spindle serve --model spam=s3://b/runs/1/models/tfidf --addr 0.0.0.0:8443 \
      --token-file /etc/spindle/token --tls-cert cert.pem --tls-key key.pem`,
		Args: exactArgs(0, "no arguments (use --model)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), e, f)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.models, "model", nil, "[NAME=]DIR: a saved model to serve (repeatable)")
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on (HOST:PORT; port 0 picks a free one)")
	fl.StringVar(&f.tokenFile, "token-file", "", "file holding the bearer token requests must carry")
	fl.StringVar(&f.tokenEnv, "token-env", "", "environment variable holding the bearer token")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key, serve HTTPS")
	fl.StringVar(&f.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fl.BoolVar(&f.allowInsecureNet, "insecure-network", false, "allow plain HTTP off loopback (the network is trusted)")
	fl.Int64Var(&f.o.MaxBodyBytes, "max-body-bytes", 32<<20, "largest request body")
	fl.IntVar(&f.o.MaxRows, "max-rows", 100_000, "most rows in one request")
	fl.IntVar(&f.o.MaxConcurrent, "max-concurrent", 0, "requests scored at once (default: the number of CPUs)")
	fl.IntVar(&f.o.MaxQueue, "max-queue", 1024, "requests waiting for a slot before 503s")
	fl.DurationVar(&f.t.ReadHeader, "read-header-timeout", 5*time.Second, "time a client has to send its headers")
	fl.DurationVar(&f.t.Read, "read-timeout", 30*time.Second, "time a client has to send its whole request")
	fl.DurationVar(&f.t.Write, "write-timeout", 60*time.Second, "time to score and answer a request")
	fl.DurationVar(&f.t.Idle, "idle-timeout", 120*time.Second, "idle keep-alive connections are closed after this")
	fl.DurationVar(&f.poll, "poll", 5*time.Second, "how often to check models' _SUCCESS for a new version (0: only on SIGHUP)")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long requests in flight may take to finish")
	return cmd
}

// token reads the bearer token from --token-file or --token-env.
func (f serveFlags) token() (string, error) {
	var tok, from string
	switch {
	case f.tokenFile != "" && f.tokenEnv != "":
		return "", usagef("--token-file and --token-env: give one")
	case f.tokenFile != "":
		data, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return "", usagef("--token-file: %v", err)
		}
		tok, from = strings.TrimSpace(string(data)), "--token-file "+f.tokenFile
	case f.tokenEnv != "":
		v, ok := os.LookupEnv(f.tokenEnv)
		if !ok {
			return "", usagef("--token-env %s: the variable is not set", f.tokenEnv)
		}
		tok, from = strings.TrimSpace(v), "--token-env "+f.tokenEnv
	default:
		return "", nil
	}
	if len(tok) < 16 || strings.ContainsAny(tok, " \t\r\n") {
		return "", usagef("%s: the token must be at least 16 characters, without spaces", from)
	}
	return tok, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func runServe(ctx context.Context, e *env, f serveFlags) error {
	if len(f.models) == 0 {
		return usagef("--model is required: a saved model directory or s3:// prefix ([NAME=]DIR)")
	}
	var sources []serve.ModelSource
	for _, m := range f.models {
		src, err := serve.ParseModelSource(m)
		if err != nil {
			return usagef("--model: %v", err)
		}
		sources = append(sources, src)
	}
	host, _, err := net.SplitHostPort(f.addr)
	if err != nil {
		return usagef("--addr %q: want HOST:PORT (%v)", f.addr, err)
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	tok, err := f.token()
	if err != nil {
		return err
	}
	if !isLoopback(host) {
		if tok == "" {
			return usagef("--addr %s is not loopback: give --token-file or --token-env so that only clients with the token are answered", f.addr)
		}
		if f.tlsCert == "" && !f.allowInsecureNet {
			return usagef("--addr %s is not loopback: give --tls-cert and --tls-key (or --insecure-network on a trusted network) so that the token does not cross the network in clear", f.addr)
		}
	}
	if f.o.MaxBodyBytes <= 0 || f.o.MaxRows <= 0 || f.o.MaxConcurrent < 0 || f.o.MaxQueue <= 0 {
		return usagef("--max-body-bytes, --max-rows and --max-queue must be positive, --max-concurrent not negative")
	}
	if f.poll < 0 {
		return usagef("--poll %v: want a positive interval, or 0 to reload only on SIGHUP", f.poll)
	}
	f.o.Token = tok
	f.o.Logger = e.log
	start := time.Now()
	srv, err := serve.New(ctx, e.store(), sources, f.o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	hs := serve.NewHTTPServer(f.addr, srv, f.t, e.log)
	scheme := "http"
	if f.tlsCert != "" {
		scheme = "https"
	}
	names := make([]string, len(sources))
	for i, s := range sources {
		names[i] = s.Name
	}
	e.log.Info("serving", "url", scheme+"://"+ln.Addr().String(), "models", strings.Join(names, ","), "auth", tok != "", "loadSeconds", round(time.Since(start).Seconds()))

	wctx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWatch()
	if f.poll > 0 {
		go srv.Watch(wctx, f.poll)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-wctx.Done():
				return
			case <-hup:
				e.log.Info("SIGHUP: reloading every model")
				if err := srv.Reload(wctx, true); err != nil {
					e.log.Error("reload", "err", err)
				}
			}
		}
	}()

	errc := make(chan error, 1)
	go func() {
		if f.tlsCert != "" {
			errc <- hs.ServeTLS(ln, f.tlsCert, f.tlsKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", f.addr, err)
	case <-ctx.Done():
	}
	e.log.Info("shutting down: draining requests in flight", "timeout", f.shutdownTimeout.String())
	srv.Drain()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	e.log.Info("stopped")
	return nil
}
