package http_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/internal/browsertest"
	"github.com/tandemhq/tandem/internal/testserver"
)

// An internal IT admin creates an enrolment token on the enrolment page
// and reads its Linux install command; the test does what the command
// does without root — downloads tandem-agent from the server, enrols it and
// runs it, a real process built from cmd/tandem-agent — and the machine
// appears in the device list, online, with its real inventory: this
// machine's hostname and OS, and, where dpkg is, its installed packages as
// dpkg-query lists them. The pages fit a phone's width.
func TestBrowserDeviceEnrolment(t *testing.T) {
	if runtime.GOOS != "linux" || testing.Short() {
		t.Skip("builds and runs tandem-agent as a Linux process")
	}
	ctx := browsertest.New(t)
	dir := t.TempDir()
	target := "linux-" + runtime.GOARCH
	buildAgent(t, filepath.Join(dir, "agents", "tandem-agent-"+target))
	s := testserver.StartWith(t, &app.Main{DataDir: dir})
	org := s.MustCreateOrganization(t, "Acme Freight")
	s.MustCreateUser(t, &tandem.User{Name: "Ida IT", Email: "ida@acme.example", Role: tandem.RoleITAdmin, OrganizationID: &org.ID}, uiPassword)

	browserLogin(t, ctx, s, "ida@acme.example")
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/"))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/devices"]`)))
	browsertest.WaitPath(t, ctx, "/devices")
	if text := browsertest.Text(t, ctx, "#devices"); !strings.Contains(text, "No devices enrolled yet") {
		t.Errorf("the empty list says %q", text)
	}
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`#enroll-link`)))
	browsertest.WaitPath(t, ctx, "/orgs/"+org.Slug+"/devices/enroll")
	if text := browsertest.Text(t, ctx, "main"); strings.Contains(text, "no agent binary for "+target) {
		t.Errorf("the page says the server lacks the %s binary it has: %q", target, text)
	}
	browsertest.Fill(t, ctx, "#enrollment-form", "description", "Depot PCs", "uses", "3")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`#enrollment-form button[type=submit]`)))
	browsertest.WaitFor(t, ctx, `!!document.querySelector("#enrollment-token")`, "the new token")
	token := browsertest.Value(t, ctx, "#enrollment-token")
	linux := browsertest.Value(t, ctx, `textarea[data-os="Linux"]`)
	for _, want := range []string{s.URL() + "/agent/v1/download/linux-", "--token '" + token + "'", "--server " + s.URL(), "tandem-agent install"} {
		if !strings.Contains(linux, want) {
			t.Errorf("the Linux install command %q lacks %q", linux, want)
		}
	}
	if win := browsertest.Value(t, ctx, `textarea[data-os="Windows"]`); !strings.Contains(win, "windows-") || !strings.Contains(win, token) {
		t.Errorf("the Windows install command %q lacks its download or the token", win)
	}
	browsertest.Do(t, ctx, chromedp.EmulateViewport(390, 800))
	if wide := browsertest.Overflow(t, ctx, ""); len(wide) > 0 {
		t.Errorf("the enrolment page overflows a phone's width: %v", wide)
	}
	browsertest.Do(t, ctx, chromedp.EmulateViewport(1400, 900))

	// What the install command does, as this user.
	agentBin := filepath.Join(t.TempDir(), "tandem-agent")
	download(t, s.URL()+"/agent/v1/download/"+target, agentBin)
	state := filepath.Join(t.TempDir(), "state")
	if out, err := exec.Command(agentBin, "enroll", "--server", s.URL(), "--token", token, "--state", state).CombinedOutput(); err != nil {
		t.Fatalf("tandem-agent enroll: %v\n%s", err, out)
	}
	runCtx, stop := context.WithCancel(context.Background())
	run := exec.CommandContext(runCtx, agentBin, "run", "--state", state)
	var logs bytes.Buffer
	run.Stdout, run.Stderr = &logs, &logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop()
		run.Wait()
		if t.Failed() {
			t.Logf("tandem-agent run printed:\n%s", logs.String())
		}
	})

	hostname, _ := os.Hostname()
	var row string
	for range 100 {
		browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/devices"))
		if row = browsertest.Text(t, ctx, "#devices tbody"); strings.Contains(row, hostname) && strings.Contains(row, "online") && (strings.Contains(row, "pending") || strings.Contains(row, "up to date")) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(row, hostname) || !strings.Contains(row, "online") {
		t.Fatalf("the device list shows %q: want %s, online, with its inventory", row, hostname)
	}
	osName := prettyName()
	if osName != "" && !strings.Contains(row, osName) {
		t.Errorf("the device's row %q does not name its OS %q", row, osName)
	}
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`#devices td.host a`)))
	browsertest.WaitFor(t, ctx, `!!document.querySelector("#facts")`, "the device page")
	if title := browsertest.Text(t, ctx, "h1.device-title"); !strings.Contains(title, hostname) || !strings.Contains(title, "online") {
		t.Errorf("the device page's title is %q", title)
	}
	facts := browsertest.Text(t, ctx, "#facts")
	for _, want := range []string{"Kernel", "Memory", "Processor"} {
		if !strings.Contains(facts, want) {
			t.Errorf("the device's facts %q lack %s", facts, want)
		}
	}
	if volumes := browsertest.Text(t, ctx, "#volumes"); !strings.Contains(volumes, "/") || !strings.Contains(volumes, "GiB") {
		t.Errorf("the volumes section says %q: want this machine's volumes", volumes)
	}
	if history := browsertest.Text(t, ctx, "#history"); !strings.Contains(history, "Enrolled as "+hostname) || !strings.Contains(history, "First inventory") {
		t.Errorf("the history says %q: want the enrolment and the first inventory", history)
	}
	if packages, installed := dpkgPackages(); installed > 0 {
		software := browsertest.Text(t, ctx, "#software h2")
		if !strings.Contains(software, fmt.Sprint(installed)) {
			t.Errorf("the software heading says %q: dpkg-query lists %d installed packages", software, installed)
		}
		// One package, found with the page's search, with dpkg's version.
		name, version := "dpkg", packages["dpkg"]
		browsertest.Fill(t, ctx, "#software form", "software", name)
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`#software form button`)))
		browsertest.WaitFor(t, ctx, `document.querySelectorAll("#software-list tbody tr").length < 20`, "the software search")
		if list := browsertest.Text(t, ctx, "#software-list"); !strings.Contains(list, version) {
			t.Errorf("the software list for %q shows %q: want version %s", name, list, version)
		}
	}
	browsertest.Do(t, ctx, chromedp.EmulateViewport(390, 800))
	for _, p := range []string{"/devices", "/devices?q=" + hostname} {
		browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+p))
		browsertest.WaitFor(t, ctx, `!!document.querySelector("main h1")`, p)
		if wide := browsertest.Overflow(t, ctx, ""); len(wide) > 0 {
			t.Errorf("%s overflows a phone's width: %v", p, wide)
		}
	}
	browsertest.Do(t, ctx, chromedp.Navigate(s.URL()+"/devices"), chromedp.Click(chromedp.CSS(`#devices td.host a`)))
	browsertest.WaitFor(t, ctx, `!!document.querySelector("#facts")`, "the device page")
	if wide := browsertest.Overflow(t, ctx, ""); len(wide) > 0 {
		t.Errorf("the device page overflows a phone's width: %v", wide)
	}
}

// buildAgent builds tandem-agent, static, to path.
func buildAgent(t *testing.T, path string) {
	t.Helper()
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gocmd); err != nil {
		gocmd = "go"
	}
	cmd := exec.Command(gocmd, "build", "-o", path, "github.com/tandemhq/tandem/cmd/tandem-agent")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build tandem-agent: %v\n%s", err, out)
	}
}

// download saves url's body as an executable at path.
func download(t *testing.T, url, path string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s %s", url, resp.Status, body)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// prettyName is this machine's OS as /etc/os-release names it.
func prettyName() string {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// dpkgPackages are the packages dpkg-query lists as installed, by name
// with their versions, and how many it lists (a package installed for two
// architectures counts twice); none where there is no dpkg.
func dpkgPackages() (map[string]string, int) {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${db:Status-Status} ${Package} ${Version}\n").Output()
	if err != nil {
		return nil, 0
	}
	packages, n := map[string]string{}, 0
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "installed" {
			packages[f[1]] = f[2]
			n++
		}
	}
	return packages, n
}
