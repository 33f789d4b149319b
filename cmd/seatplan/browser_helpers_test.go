package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seatplan/seatplan/store/storetest"
)

// newBrowser starts headless Chromium for one test. The suite installs
// Debian's chromium (make test); without it the browser tests cannot run,
// which fails the run in CI rather than passing silently.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; make test installs it (apt-get install chromium)")
		}
		t.Skip("chromium is not installed; run make test to install it")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	// A guard against a hung browser, not a time limit on the work: the
	// accessibility pass opens every page in one browser, on a loaded CI machine.
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// saveScreenshot writes a PNG under test-artifacts/ at the repository root,
// where the README's screenshots are refreshed from.
func saveScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := filepath.Join("..", "..", "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// signInInBrowser fills and submits the real login form.
func signInInBrowser(ctx context.Context, base, email, password string) error {
	return chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="email"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
	)
}

// testid selects the element a test reads by its data-testid.
func testid(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// clickAcross clicks sel as a person does while the page redraws: it
// presses the mouse button, waits until redrawn reports the redraw has
// happened, then releases it.
func clickAcross(t *testing.T, b context.Context, sel chromedp.CSS, what string, redrawn func() bool) {
	t.Helper()
	x, y := centreOf(t, b, sel)
	if err := chromedp.Do(b, chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1))); err != nil {
		t.Fatal(err)
	}
	storetest.WaitWithin(t, 15*time.Second, what, redrawn)
	if err := chromedp.Do(b, chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1))); err != nil {
		t.Fatal(err)
	}
}

// centreOf scrolls the element into view and returns its centre in the
// viewport, where a mouse press lands on it.
func centreOf(t *testing.T, b context.Context, sel chromedp.CSS) (x, y float64) {
	t.Helper()
	js := `(() => { const e = document.querySelector(` + strconv.Quote(string(sel)) + `); e.scrollIntoView({block: "center"});
		const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`
	xy, err := chromedp.Run(b, chromedp.Evaluate[[]float64](js))
	if err != nil || len(xy) != 2 {
		t.Fatalf("the centre of %s: %v %v", sel, xy, err)
	}
	return xy[0], xy[1]
}
