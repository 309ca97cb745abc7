package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/models"
)

// Load of BenchmarkServeDecode: requests per iteration and concurrent clients.
const (
	benchRequests = 2000
	benchClients  = 16
)

// BenchmarkServeDecode sends 2,000 single-code decode requests from 16
// concurrent clients over loopback HTTP to the default MNIST model (random
// weights, decoder compiled for batches of 16) and reports the latency
// percentiles and throughput. Run with -benchtime 1x for one load of 2,000.
func BenchmarkServeDecode(b *testing.B) {
	run, _, _ := xlaRun(b, models.DefaultConfig(), 64, 16)
	s, err := New(run, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
	codes := generate.RandomLatents(benchRequests, run.Config.Latent, 1, 1)
	var lat []time.Duration
	var elapsed time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		l, err := decodeLoad(client, srv.URL, codes, run.Config.Latent)
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, l...)
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(ms(0.5), "p50_ms")
	b.ReportMetric(ms(0.99), "p99_ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
}

// decodeLoad decodes every code in its own request, from benchClients
// clients at once, and returns each request's latency.
func decodeLoad(client *http.Client, url string, codes []float32, latent int) ([]time.Duration, error) {
	n := len(codes) / latent
	lat := make([]time.Duration, n)
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	errs := make(chan error, benchClients)
	var wg sync.WaitGroup
	for range benchClients {
		wg.Go(func() {
			for i := range next {
				body, _ := json.Marshal(map[string][]float32{"z": codes[i*latent : (i+1)*latent]})
				start := time.Now()
				if err := post(client, url+"/api/decode", body); err != nil {
					errs <- fmt.Errorf("request %d: %w", i, err)
					return
				}
				lat[i] = time.Since(start)
			}
		})
	}
	wg.Wait()
	close(errs)
	return lat, <-errs
}

// post sends body and reads the whole answer, failing on a status not 200.
func post(client *http.Client, url string, body []byte) error {
	resp, err := client.Post(url, jsonType, bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d: %s", resp.StatusCode, out)
	}
	return err
}
