package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/train"
)

func main() {
	b, err := backend.Open(os.Getenv("B"), os.Stderr)
	if err != nil {
		panic(err)
	}
	cfg := train.DefaultConfig()
	cfg.Model.Hidden, _ = strconv.Atoi(os.Getenv("H"))
	set, err := data.Load("mnist", data.Options{})
	if err != nil {
		panic(err)
	}
	ctx := context.New()
	ctx.SetRNGStateFromSeed(1)
	s, err := train.NewSession(b, cfg, ctx)
	if err != nil {
		panic(err)
	}
	bt, _ := data.NewBatcher(set.Train, 128, 1, false)
	t0 := time.Now()
	var l train.Losses
	n := int64(100)
	for i := int64(0); i < n; i++ {
		l, err = s.Step(bt.Batch(i).Images, i)
		if err != nil {
			panic(err)
		}
		if i == 0 {
			fmt.Println("first step", time.Since(t0))
			t0 = time.Now()
		}
	}
	el := time.Since(t0)
	fmt.Printf("hidden %d: img/s %.0f loss %.2f\n", cfg.Model.Hidden, float64(n-1)*128/el.Seconds(), l.NegELBO)
}
