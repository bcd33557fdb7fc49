// Package s3test starts a real S3-compatible server (versitygw, posix
// backend over a temporary directory) on 127.0.0.1 for tests. It is not a
// fake: requests go over HTTP to the server's S3 implementation.
//
// The binary is found through $SPINDLE_VERSITYGW, then $PATH, then the
// tool cache scripts/tools.sh fills (~/.cache/spindle-tools). Credentials
// are random per server and never written anywhere but its environment.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/spindle-ml/spindle/internal/toolcache"
)

// Version is the versitygw release the project tests against.
const Version = "v1.8.0"

// Server is a running versitygw.
type Server struct {
	Endpoint  string
	AccessKey string
	SecretKey string
	Region    string
	dir       string
	cmd       *exec.Cmd
}

// ErrNoBinary is returned by Start when versitygw is not installed.
var ErrNoBinary = errors.New("versitygw not found: run scripts/tools.sh or set SPINDLE_VERSITYGW")

// Binary returns the path of the versitygw binary, or ErrNoBinary.
func Binary() (string, error) {
	if p := os.Getenv("SPINDLE_VERSITYGW"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	p := filepath.Join(toolcache.Dir(), "versitygw-"+Version, "versitygw")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", ErrNoBinary
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Start launches a server over a fresh temporary directory and waits until
// it answers.
func Start() (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "spindle-s3-")
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	s := &Server{
		Endpoint:  "http://" + addr,
		AccessKey: "T" + randomHex(9),
		SecretKey: randomHex(20),
		Region:    "us-east-1",
		dir:       dir,
	}
	s.cmd = exec.Command(bin, "--port", addr, "--quiet", "posix", dir)
	// Credentials travel in the environment, not on the command line.
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+s.AccessKey, "ROOT_SECRET_ACCESS_KEY="+s.SecretKey)
	logf, err := os.Create(filepath.Join(dir, ".versitygw.log"))
	if err == nil {
		s.cmd.Stdout, s.cmd.Stderr = logf, logf
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			s.Stop()
			log, _ := os.ReadFile(filepath.Join(dir, ".versitygw.log"))
			return nil, fmt.Errorf("versitygw did not listen on %s within 15s: %s", addr, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s, nil
}

// Stop kills the server and removes its data.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
	os.RemoveAll(s.dir)
}

// Env returns the environment variables that point the AWS SDK's default
// chain at this server.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":     s.AccessKey,
		"AWS_SECRET_ACCESS_KEY": s.SecretKey,
		"AWS_REGION":            s.Region,
		"AWS_ENDPOINT_URL_S3":   s.Endpoint,
		// Keep the chain from reading a developer's own files or IMDS.
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_PROFILE":                 "",
		"AWS_SESSION_TOKEN":           "",
	}
}

// Setenv applies Env to this process (for TestMain).
func (s *Server) Setenv() {
	for k, v := range s.Env() {
		os.Setenv(k, v)
	}
}

// Client returns an S3 client for the server with its root credentials.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}

// CreateBucket makes a bucket.
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	_, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}

// Main is a TestMain body for packages whose tests need S3: it starts a
// server, stores it in *srv with its environment set (AWS_ENDPOINT_URL_S3,
// credentials of its own), runs the tests, stops the server, and returns
// the exit code for os.Exit.
func Main(m *testing.M, srv **Server) int {
	s, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "these tests need the S3-compatible server:", err)
		return 1
	}
	s.Setenv()
	*srv = s
	code := m.Run()
	s.Stop()
	return code
}
