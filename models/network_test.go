package models

import (
	"slices"
	"strings"
	"testing"
)

// TestModelRegistry: every network of the family is registered once, in
// rank order; each one's defaults make the default config valid for it,
// with its own number of stochastic layers; a name no file registered is
// refused naming those that are.
func TestModelRegistry(t *testing.T) {
	if got, want := ModelNames(), []string{Conv, MLP, ResNet, Broadcast, Ladder, VQModel}; !slices.Equal(got, want) {
		t.Fatalf("registered models %v, want %v", got, want)
	}
	layers := map[string]int{Conv: 1, MLP: 1, ResNet: 1, Broadcast: 1, Ladder: 2, VQModel: 1}
	for _, m := range Models() {
		if m.Help == "" || m.net == nil {
			t.Errorf("model %q registered without help or network", m.Name)
		}
		c := DefaultConfig()
		c.Model = m.Name
		c = WithFamilyDefaults(c)
		if err := c.Validate(); err != nil {
			t.Errorf("model %q with its defaults: %v", m.Name, err)
		}
		if got := c.Layers(); got != layers[m.Name] {
			t.Errorf("model %q: %d stochastic layers, want %d", m.Name, got, layers[m.Name])
		}
	}
	c := DefaultConfig()
	c.Model = "unet"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), `"unet"`) || !strings.Contains(err.Error(), `"conv", "mlp", "resnet", "broadcast", "ladder" or "vq"`) {
		t.Errorf("model unet: %v, want a refusal naming it and the registered models", err)
	}
}
