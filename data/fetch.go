package data

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/latent-vae/latent/internal/atomicfile"
	"github.com/latent-vae/latent/internal/dialer"
	"github.com/latent-vae/latent/internal/download"
)

// remoteFile is one published file of a data set and its checksum, written
// "sha256:<hex>" or "md5:<hex>".
type remoteFile struct {
	name string
	sum  string
}

// remoteSet is where a data set is published and what its files hold.
type remoteSet struct {
	baseURL string
	files   []remoteFile
}

// EMNISTURL is where EMNIST is published, as one zip of all its splits.
const EMNISTURL = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"

// published returns the canonical address and checksums of a named set;
// dir is only named in errors.
func published(name, dir string) (remoteSet, error) {
	switch name {
	case MNIST:
		return remoteSet{"https://ossci-datasets.s3.amazonaws.com/mnist/", []remoteFile{
			{"train-images-idx3-ubyte.gz", "sha256:440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
			{"train-labels-idx1-ubyte.gz", "sha256:3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
			{"t10k-images-idx3-ubyte.gz", "sha256:8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
			{"t10k-labels-idx1-ubyte.gz", "sha256:f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
		}}, nil
	case FashionMNIST:
		return remoteSet{"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", []remoteFile{
			{"train-images-idx3-ubyte.gz", "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d"},
			{"train-labels-idx1-ubyte.gz", "md5:25c81989df183df01b3e8a0aad5dffbe"},
			{"t10k-images-idx3-ubyte.gz", "md5:bef4ecab320f06d8554ea6380940ec79"},
			{"t10k-labels-idx1-ubyte.gz", "md5:bb300cfdad3c16e7a12a480ee83cd310"},
		}}, nil
	case KMNIST:
		return remoteSet{"http://codh.rois.ac.jp/kmnist/dataset/kmnist/", []remoteFile{
			{"train-images-idx3-ubyte.gz", "md5:bdb82020997e1d708af4cf47b453dcf7"},
			{"train-labels-idx1-ubyte.gz", "md5:e144d726b3acfaa3e44228e80efcd344"},
			{"t10k-images-idx3-ubyte.gz", "md5:5c965bf0a639b31b8f53240b1b52f4d7"},
			{"t10k-labels-idx1-ubyte.gz", "md5:7320c461ea6c1c855c0b718fb2a4b134"},
		}}, nil
	}
	if strings.HasPrefix(name, emnistPrefix) && isNamedSet(name) {
		return remoteSet{}, fmt.Errorf("fetching %s: EMNIST is published only as one 560 MB zip of all its splits, %s; "+
			"download and unzip it yourself, then copy %s-{train,test}-{images-idx3,labels-idx1}-ubyte.gz and %s-mapping.txt "+
			"from its gzip/ folder into %s", name, EMNISTURL, name, name, dir)
	}
	return remoteSet{}, fmt.Errorf("fetching %s: unknown data set (want mnist, fashion-mnist or kmnist)", name)
}

// FetchOptions control Fetch. A zero duration takes its default.
type FetchOptions struct {
	BaseURL string       // address of the set's files; "" for its canonical address
	Client  *http.Client // nil for a client with the connection timeouts below

	DialTimeout   time.Duration // connecting to the server (default 30 s)
	TLSTimeout    time.Duration // the TLS handshake (default 30 s)
	HeaderTimeout time.Duration // the response headers, once the request is sent (default 60 s)
	IdleTimeout   time.Duration // each wait for more of a file's body, with any client (default 60 s)

	dial dialer.Func // what connects within DialTimeout; nil: TCP (tests use an in-memory network)
}

// withDefaults returns o with its zero durations set to their defaults.
func (o FetchOptions) withDefaults() FetchOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.DialTimeout, 30*time.Second)
	def(&o.TLSTimeout, 30*time.Second)
	def(&o.HeaderTimeout, 60*time.Second)
	def(&o.IdleTimeout, 60*time.Second)
	return o
}

// client returns o.Client, or a new client with o's connection timeouts and
// a function that releases its idle connections.
func (o FetchOptions) client() (*http.Client, func()) {
	if o.Client != nil {
		return o.Client, func() {}
	}
	dial := o.dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.Within(o.DialTimeout, dial),
		TLSHandshakeTimeout:   o.TLSTimeout,
		ResponseHeaderTimeout: o.HeaderTimeout,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr}, tr.CloseIdleConnections
}

// Fetchable returns the names of the sets Fetch downloads.
func Fetchable() []string { return []string{MNIST, FashionMNIST, KMNIST} }

// Fetch downloads the files of a named set (mnist, fashion-mnist or kmnist)
// into dir, creating it. Each file's checksum is checked against the
// published one; files already present and correct are kept. A download is
// written to a temporary file renamed into place only once verified, and
// fails, rather than waiting for ever, on a server that does not connect,
// answer or keep sending within opt's timeouts.
func Fetch(ctx context.Context, name, dir string, opt FetchOptions) error {
	set, err := published(name, dir)
	if err != nil {
		return err
	}
	if opt.BaseURL == "" {
		opt.BaseURL = set.baseURL
	}
	return fetchFiles(ctx, dir, opt, set.files)
}

// fetchFiles downloads and verifies each file not already present in dir.
func fetchFiles(ctx context.Context, dir string, opt FetchOptions, files []remoteFile) error {
	opt = opt.withDefaults()
	client, release := opt.client()
	defer release()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if got, err := download.FileSum(path, f.sum); err == nil && got == f.sum {
			continue
		}
		u, err := url.JoinPath(opt.BaseURL, f.name)
		if err != nil {
			return fmt.Errorf("fetching %s: bad base URL %q: %w", f.name, opt.BaseURL, err)
		}
		if err := get(ctx, client, opt.IdleTimeout, u, path, f.sum); err != nil {
			return err
		}
	}
	return nil
}

// get fetches u to path, atomically, if its checksum is want. It fails
// when the body stalls for longer than idle.
func get(ctx context.Context, client *http.Client, idle time.Duration, u, path, want string) error {
	h, err := download.NewHash(want)
	if err != nil {
		return fmt.Errorf("fetching %s: %w", path, err)
	}
	ctx, stall, stop := download.WithStall(ctx, idle, fmt.Errorf("the server sent nothing for %v", idle))
	defer stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("fetching %s: %w", u, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("downloading %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("downloading %s from %s: %s", path, u, resp.Status)
	}
	body := stall.Reader(resp.Body)
	return atomicfile.Write(path, func(w io.Writer) error {
		if _, err := io.Copy(io.MultiWriter(w, h), body); err != nil {
			if cause := context.Cause(ctx); cause != nil {
				err = cause
			}
			return fmt.Errorf("downloading %s: %w", u, err)
		}
		if got := download.SumString(want, h); got != want {
			return fmt.Errorf("fetching %s: checksum mismatch: got %s, want %s; the download was removed", u, got, want)
		}
		return nil
	})
}
