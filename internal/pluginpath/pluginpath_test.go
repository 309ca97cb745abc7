package pluginpath

import "testing"

// TestLayout pins the folders `latent setup` has always written, which
// installs on users' machines keep.
func TestLayout(t *testing.T) {
	tests := []struct {
		major int
		dir   string
		path  string
	}{
		{13, "/x/cuda13", "/x/cuda13/pjrt/pjrt_c_api_cuda_plugin.so"},
		{12, "/x/cuda12", "/x/cuda12/pjrt/pjrt_c_api_cuda_plugin.so"},
	}
	for _, tc := range tests {
		if got := CUDADir("/x", tc.major); got != tc.dir {
			t.Errorf("CUDADir(/x, %d) = %s, want %s", tc.major, got, tc.dir)
		}
		if got := CUDAPluginPath("/x", tc.major); got != tc.path {
			t.Errorf("CUDAPluginPath(/x, %d) = %s, want %s", tc.major, got, tc.path)
		}
	}
}
