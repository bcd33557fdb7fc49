package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

type s3Backend struct {
	client   *s3.Client
	uploader *transfermanager.Client
	endpoint string
}

func (s *Store) s3Client(ctx context.Context) (*s3Backend, error) {
	s.s3Once.Do(func() { s.s3, s.s3Err = newS3(ctx, s.opts) })
	return s.s3, s.s3Err
}

func newS3(ctx context.Context, opts Options) (*s3Backend, error) {
	// The SDK's own log lines (an IMDS fallback warning when no
	// credentials are configured, for one) would reach the terminal
	// beside Spindle's one-sentence errors, which already say what went
	// wrong.
	loadOpts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if opts.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(opts.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	endpoint := opts.S3Endpoint
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL_S3")
	}
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
		// Objects written without a checksum are normal on S3-compatible
		// servers; do not log each one.
		o.DisableLogOutputChecksumValidationSkipped = true
		if opts.PathStyle {
			o.UsePathStyle = true
		}
	})
	return &s3Backend{client: client, uploader: transfermanager.New(client), endpoint: endpoint}, nil
}

// s3Error turns an SDK error into one sentence naming the URI and the cause.
func (b *s3Backend) s3Error(uri string, loc Location, err error) error {
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	switch {
	case code == "NoSuchBucket":
		return notFoundf("%s: bucket %q does not exist", uri, loc.Bucket)
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "InvalidToken" ||
		code == "ExpiredToken" || code == "XAdminUserNotFound": // the last is versitygw's unknown key
		return fmt.Errorf("%s: the S3 server rejected the credentials (%s); check the AWS credential chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws)", uri, code)
	case code == "NoSuchKey" || code == "NotFound" || status == 404:
		return notFoundf("%s: no such object", uri)
	case code == "AccessDenied" || status == 403:
		return fmt.Errorf("%s: access denied; the credentials in use lack permission or were rejected", uri)
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		ep := b.endpoint
		if ep == "" {
			ep = "the AWS S3 endpoint"
		}
		return fmt.Errorf("%s: cannot reach %s: %v", uri, ep, ne.Err)
	}
	if strings.Contains(err.Error(), "failed to retrieve credentials") || strings.Contains(err.Error(), "no EC2 IMDS role found") {
		return fmt.Errorf("%s: no AWS credentials found by the default chain (environment, shared config, SSO, instance role)", uri)
	}
	return fmt.Errorf("%s: %w", uri, err)
}

func (b *s3Backend) list(ctx context.Context, loc Location) ([]Object, error) {
	key := loc.Path
	glob := hasMeta(key)
	prefix := key
	if i := strings.IndexAny(key, "*?["); i >= 0 {
		prefix = key[:i]
	}
	// One listing serves every case (a ListObjectsV2 error carries the
	// S3 error code, which a HEAD response does not): an exact key, a
	// "directory" below it, or the keys a glob matches.
	dir := key
	if dir != "" && !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	var exact, below []Object
	p := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{Bucket: &loc.Bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, b.s3Error(loc.String(), loc, err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			obj := Object{URI: "s3://" + loc.Bucket + "/" + k, Size: aws.ToInt64(o.Size), Version: aws.ToString(o.ETag)}
			switch {
			case strings.HasSuffix(k, "/"):
			case k == key && !glob:
				// A key named exactly is returned even when its name
				// marks bookkeeping (_SUCCESS): it was asked for.
				exact = append(exact, obj)
			case hidden(k):
			case glob:
				ok, err := path.Match(key, k)
				if err != nil {
					return nil, fmt.Errorf("%s: bad pattern: %w", loc, err)
				}
				if ok {
					below = append(below, obj)
				}
			case strings.HasPrefix(k, dir):
				below = append(below, obj)
			}
		}
	}
	if len(exact) > 0 {
		return exact, nil
	}
	if len(below) == 0 && !glob {
		return nil, notFoundf("%s: no such object", loc)
	}
	return below, nil
}

func (b *s3Backend) open(ctx context.Context, loc Location) (io.ReadCloser, error) {
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &loc.Bucket, Key: &loc.Path})
	if err != nil {
		return nil, b.s3Error(loc.String(), loc, err)
	}
	return out.Body, nil
}

type s3ReaderAt struct {
	ctx  context.Context
	b    *s3Backend
	loc  Location
	size int64
	pos  int64
}

func (b *s3Backend) openReaderAt(ctx context.Context, loc Location) (*s3ReaderAt, error) {
	head, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &loc.Bucket, Key: &loc.Path})
	if err != nil {
		return nil, b.s3Error(loc.String(), loc, err)
	}
	return &s3ReaderAt{ctx: ctx, b: b, loc: loc, size: aws.ToInt64(head.ContentLength)}, nil
}

func (r *s3ReaderAt) Size() int64 { return r.size }

func (r *s3ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, io.EOF
	}
	end := min(off+int64(len(p)), r.size) - 1
	rng := fmt.Sprintf("bytes=%d-%d", off, end)
	out, err := r.b.client.GetObject(r.ctx, &s3.GetObjectInput{Bucket: &r.loc.Bucket, Key: &r.loc.Path, Range: &rng})
	if err != nil {
		return 0, r.b.s3Error(r.loc.String(), r.loc, err)
	}
	defer out.Body.Close()
	n, err := io.ReadFull(out.Body, p[:end-off+1])
	if err != nil {
		return n, fmt.Errorf("%s: read range %s: %w", r.loc, rng, err)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *s3ReaderAt) Read(p []byte) (int, error) {
	n, err := r.ReadAt(p, r.pos)
	r.pos += int64(n)
	return n, err
}

func (r *s3ReaderAt) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, fmt.Errorf("seek: bad whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("seek %s: negative position", r.loc)
	}
	r.pos = offset
	return offset, nil
}

func (r *s3ReaderAt) Close() error { return nil }

// s3Writer streams into a multipart upload through a pipe; the object
// exists only once the upload completes.
type s3Writer struct {
	pw   *io.PipeWriter
	done chan error
	uri  string
	err  error
	fin  bool
}

func (b *s3Backend) create(ctx context.Context, loc Location) (*s3Writer, error) {
	pr, pw := io.Pipe()
	w := &s3Writer{pw: pw, done: make(chan error, 1), uri: loc.String()}
	go func() {
		_, err := b.uploader.UploadObject(ctx, &transfermanager.UploadObjectInput{Bucket: &loc.Bucket, Key: &loc.Path, Body: pr})
		if err != nil {
			err = b.s3Error(loc.String(), loc, err)
		}
		pr.CloseWithError(err) // unblock a writer if the upload failed early
		w.done <- err
	}()
	return w, nil
}

func (w *s3Writer) Write(p []byte) (int, error) {
	n, err := w.pw.Write(p)
	if err != nil {
		return n, fmt.Errorf("upload %s: %w", w.uri, err)
	}
	return n, nil
}

func (w *s3Writer) Close() error {
	if w.fin {
		return w.err
	}
	w.fin = true
	w.pw.Close()
	w.err = <-w.done
	return w.err
}

func (w *s3Writer) Abort() error {
	if w.fin {
		return nil
	}
	w.fin = true
	w.pw.CloseWithError(errors.New("write aborted"))
	<-w.done
	return nil
}

func (b *s3Backend) delete(ctx context.Context, loc Location) error {
	_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &loc.Bucket, Key: &loc.Path})
	if err != nil {
		return b.s3Error(loc.String(), loc, err)
	}
	return nil
}

// listAll returns every object whose key starts with prefix.Path, hidden
// names included.
func (b *s3Backend) listAll(ctx context.Context, prefix Location) ([]Object, error) {
	var out []Object
	p := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{Bucket: &prefix.Bucket, Prefix: &prefix.Path})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, b.s3Error(prefix.String(), prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, Object{URI: "s3://" + prefix.Bucket + "/" + aws.ToString(o.Key), Size: aws.ToInt64(o.Size), Version: aws.ToString(o.ETag)})
		}
	}
	return out, nil
}
