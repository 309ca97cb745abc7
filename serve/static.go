package serve

import (
	"embed"
	"io/fs"
	"net/http"
)

// staticFiles are the page, its script and its styles; nothing else is
// served outside /api/.
//
//go:embed static/index.html static/app.js static/style.css
var staticFiles embed.FS

// staticHandler serves the embedded files, with a content security policy
// that keeps the page to its own origin (no CDN, no inline script).
func staticHandler() http.Handler {
	root, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	files := http.FileServerFS(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:")
		files.ServeHTTP(w, r)
	})
}
