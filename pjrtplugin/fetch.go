package pjrtplugin

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"syscall"

	"github.com/latent-vae/latent/internal/atomicfile"
	"github.com/latent-vae/latent/internal/download"
)

// Wheel is a pinned file on a Python package index.
type Wheel struct {
	Package, Version string
	File             string // the wheel's file name
	SHA256           string // hex
	Size             int64  // bytes, as PyPI lists it (for the size printed before a download)
}

// wheel is a pinned file as an index lists it.
type wheel struct {
	url  string
	size int64 // 0 when the index does not say
}

// fetcher downloads pinned wheels from one index with one install's limits;
// advice says what to do without network.
type fetcher struct {
	opt    Options
	advice string
}

// simpleJSON is the part of a PEP 691 project page latent reads.
type simpleJSON struct {
	Files []struct {
		Filename string `json:"filename"`
		URL      string `json:"url"`
		Size     int64  `json:"size"`
	} `json:"files"`
}

var hrefRE = regexp.MustCompile(`href="([^"]+)"`)

// find asks the index's project page (PEP 691 JSON, or the PEP 503
// HTML page of older mirrors) where the pinned wheel pin is.
func (f fetcher) find(ctx context.Context, pin Wheel) (wheel, error) {
	opt := f.opt
	page := strings.TrimRight(opt.IndexURL, "/") + "/" + pin.Package + "/"
	base, err := url.Parse(page)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") {
		return wheel{}, fmt.Errorf("index URL %q: want an http or https URL such as %s", opt.IndexURL, DefaultIndexURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
	if err != nil {
		return wheel{}, fmt.Errorf("index URL %q: %w", opt.IndexURL, err)
	}
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json, text/html;q=0.1")
	resp, err := opt.Client.Do(req)
	if err != nil {
		return wheel{}, fmt.Errorf("could not reach %s: %w; %s", base.Host, err, f.advice)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return wheel{}, fmt.Errorf("%s answered %s: is it a Python package index (like %s)? %s",
			page, resp.Status, DefaultIndexURL, f.advice)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return wheel{}, fmt.Errorf("reading %s: %w; %s", page, err, f.advice)
	}
	w, err := parseIndex(resp.Header.Get("Content-Type"), body, base, pin)
	if err != nil {
		return wheel{}, fmt.Errorf("%s: %w", page, err)
	}
	return w, nil
}

// parseIndex finds pin's file in a project page and resolves its URL against base.
func parseIndex(contentType string, body []byte, base *url.URL, pin Wheel) (wheel, error) {
	var found wheel
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/vnd.pypi.simple.v1+json" || mt == "application/json" {
		var page simpleJSON
		if err := json.Unmarshal(body, &page); err != nil {
			return wheel{}, fmt.Errorf("not a PEP 691 project page: %w", err)
		}
		for _, f := range page.Files {
			if f.Filename == pin.File {
				found = wheel{url: f.URL, size: f.Size}
			}
		}
	} else {
		for _, m := range hrefRE.FindAllSubmatch(body, -1) {
			href := strings.ReplaceAll(string(m[1]), "&amp;", "&")
			if u, err := url.Parse(href); err == nil && path.Base(u.Path) == pin.File {
				found = wheel{url: href}
			}
		}
	}
	if found.url == "" {
		return wheel{}, fmt.Errorf("the index does not list %s (%s %s for Linux x86-64)", pin.File, pin.Package, pin.Version)
	}
	u, err := base.Parse(found.url)
	if err != nil {
		return wheel{}, fmt.Errorf("bad URL %q for %s: %w", found.url, pin.File, err)
	}
	u.Fragment = ""
	found.url = u.String()
	return found, nil
}

// download fetches w, the pinned wheel pin, into a temporary file in dir and
// checks its size and SHA-256. The caller removes the returned file.
func (f fetcher) download(ctx context.Context, pin Wheel, w wheel, dir string) (_ *os.File, n int64, err error) {
	opt := f.opt
	ctx, stall, stop := download.WithStall(ctx, opt.StallTimeout, errStalled)
	defer stop()
	stall.Start()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.url, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("downloading %s: %w", w.url, err)
	}
	resp, err := opt.Client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("could not download %s: %w; %s", w.url, err, f.advice)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("downloading %s: the server answered %s; try again later, or %s", w.url, resp.Status, f.advice)
	}
	want := max(w.size, resp.ContentLength)
	fmt.Fprintf(opt.Log, "downloading %s (%.1f MB)\n", w.url, float64(want)/1e6)
	tmp, err := os.CreateTemp(dir, "."+pin.File+".tmp-*")
	if err != nil {
		return nil, 0, fmt.Errorf("downloading %s: %w", pin.File, err)
	}
	defer func() {
		if err != nil {
			removeTemp(tmp)
		}
	}()
	sum := sha256.New()
	var dst io.Writer = tmp
	if opt.Progress != nil {
		dst = io.MultiWriter(tmp, opt.Progress)
	}
	n, err = io.Copy(io.MultiWriter(dst, sum), stall.Reader(resp.Body))
	if err != nil || (want > 0 && n != want) {
		return nil, n, f.truncated(w.url, n, want, context.Cause(ctx), err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != strings.ToLower(pin.SHA256) {
		return nil, n, fmt.Errorf("%s has SHA-256 %s, want %s: the download is damaged or is not the pinned wheel, and nothing was installed; run it again, or %s",
			pin.File, got, pin.SHA256, f.advice)
	}
	return tmp, n, nil
}

// errStalled cancels a download that received nothing for Options.StallTimeout.
var errStalled = errors.New("stalled")

func (f fetcher) truncated(url string, n, want int64, cause, err error) error {
	opt := f.opt
	why := "the connection ended early"
	switch {
	case errors.Is(cause, errStalled):
		why = fmt.Sprintf("nothing received for %v", opt.StallTimeout)
	case err != nil && timedOut(err):
		why = fmt.Sprintf("timed out (%v for the whole install)", opt.Timeout)
	case err != nil:
		why = err.Error()
	}
	if errors.Is(err, syscall.ENOSPC) {
		why = "the disk is full"
	}
	return fmt.Errorf("download of %s truncated after %d of %d bytes: %s; nothing was installed; run it again, or %s",
		url, n, want, why, f.advice)
}

// extract copies Member out of the wheel in f to dest, atomically, mode 0755.
func extract(f *os.File, dest, dir string) error {
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reading the downloaded wheel: %w", err)
	}
	zr, err := zip.NewReader(f, info.Size())
	if err != nil {
		return fmt.Errorf("%s is not a readable wheel (zip): %w; %s", WheelFile, err, offline(dir))
	}
	for _, zf := range zr.File {
		if zf.Name != Member {
			continue
		}
		return atomicfile.WriteMode(dest, 0o755, func(w io.Writer) error {
			rc, err := zf.Open()
			if err != nil {
				return fmt.Errorf("opening %s in %s: %w", Member, WheelFile, err)
			}
			defer rc.Close()
			if _, err := io.Copy(w, rc); err != nil {
				return fmt.Errorf("extracting %s from %s: %w", Member, WheelFile, err)
			}
			return nil
		})
	}
	return fmt.Errorf("%s holds no %s: not the XLA CPU plugin wheel; %s", WheelFile, Member, offline(dir))
}

// removeTemp closes and deletes a temporary file, ignoring errors.
func removeTemp(f *os.File) {
	_ = f.Close()
	_ = os.Remove(f.Name())
}
