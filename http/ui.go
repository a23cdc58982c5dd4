package http

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// SessionCookie names the browser session cookie.
const SessionCookie = "tandem_session"

// assets maps content-hashed URLs (/static/htmx-2.0.8.min.1a2b3c4d5e.js) to
// embedded files, so browsers may cache them forever and a new binary changes
// every URL whose file changed.
type assets struct {
	byURL  map[string][]byte
	byName map[string]string // file name → hashed URL
}

func loadAssets() *assets {
	a := &assets{byURL: map[string][]byte{}, byName: map[string]string{}}
	entries, _ := fs.ReadDir(assetFS, "assets")
	for _, e := range entries {
		body, _ := fs.ReadFile(assetFS, "assets/"+e.Name())
		sum := sha256.Sum256(body)
		ext := path.Ext(e.Name())
		url := "/static/" + strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:5]) + ext
		a.byURL[url] = body
		a.byName[e.Name()] = url
	}
	return a
}

// ui holds the parsed templates and assets of the web interface.
type ui struct {
	pages  map[string]*template.Template
	assets *assets
}

func newUI() *ui {
	u := &ui{pages: map[string]*template.Template{}, assets: loadAssets()}
	funcs := template.FuncMap{
		"asset": func(name string) string { return u.assets.byName[name] },
		"when":  when,
		"add1":  func(n int) int { return n + 1 },
		"bytes": bytesLabel,
		// chartDrawing hands the device page's drawing template its
		// class, drawing and summary (ui_device_chart.go).
		"chartDrawing": func(class string, d chartDrawing, summary string) map[string]any {
			return map[string]any{"Class": class, "D": d, "Summary": summary}
		},
	}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	pages, _ := fs.Glob(templateFS, "templates/*.html")
	for _, p := range pages {
		name := path.Base(p)
		if name == "layout.html" {
			continue
		}
		u.pages[strings.TrimSuffix(name, ".html")] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, p))
	}
	return u
}

// pageData is what every page template receives.
type pageData struct {
	Title         string
	Actor         *tandem.Actor
	User          *tandem.User
	Organizations []*tandem.Organization
	Current       *tandem.Organization
	// Loc is the viewer's zone (viewerZone): every time on the page is
	// shown in it, with its name, through the template function when.
	Loc  *time.Location
	Zone string
	// Nav and Switcher are the frame's navigation and organisation
	// switcher (ui_frame.go); nil for a visitor.
	Nav      []navLink
	Switcher *switcher
	// Bell shows the frame's bell, with Unread its number
	// (ui_notification.go): for a viewer fully signed in, not one who
	// must first set up MFA (the stream would only redirect them).
	Bell   bool
	Unread int
	// Status is set on the error page: the layout then leaves Error to it.
	Status int
	Error  string
	Notice string
	Form   map[string]string
	Data   any
}

func (s *Server) registerUIRoutes() {
	s.ui = newUI()
	s.handle("GET /static/{file}", s.handleAsset)
	s.handle("GET /{$}", s.page(s.handleHome))
	s.handle("GET /orgs/{slug}", s.page(s.handleOrganizationPage))
	s.handle("GET /login", s.handleLoginForm)
	s.handle("POST /login", s.handleLogin)
	s.handle("GET /login/mfa", s.handleLoginMFAForm)
	s.handle("POST /login/mfa", s.handleLoginMFA)
	s.handle("POST /logout", s.handleLogout)
	s.handle("GET /setup/{token}", s.handleSetupForm)
	s.handle("POST /setup/{token}", s.handleSetup)
}

func (s *Server) handleAsset(w http.ResponseWriter, r *http.Request) {
	body, ok := s.ui.assets.byURL[r.URL.Path]
	if !ok {
		s.noRoute(w, r, tandem.Errorf(tandem.ENOTFOUND, "There is no file at %s; its address changes with each release, so reload the page that asked for it.", r.URL.Path))
		return
	}
	switch path.Ext(r.URL.Path) {
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(body)
}

// render writes a page, or the error page of a fault of ours when the
// template fails (failed), never half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data pageData) {
	var buf bytes.Buffer
	if err := s.ui.pages[name].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		s.Logger.Error("render page", "page", name, "err", err)
		s.failed(w, r)
		return
	}
	writePage(w, status, &buf)
}

// writePage sends a rendered page: HTML, never stored by the browser.
func writePage(w http.ResponseWriter, status int, page *bytes.Buffer) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	page.WriteTo(w)
}

// failed answers a request that a fault of ours broke off (a panic, a page
// that would not render) with a 500 in the shape the client reads: the
// API's JSON error under /api/, else the styled error page in the frame of a
// visitor, which needs nothing that may have failed (no session, no
// service); only if even that page fails, plain text. The fault itself is
// logged by the caller, never shown.
func (s *Server) failed(w http.ResponseWriter, r *http.Request) {
	const msg = "Something went wrong on our side and has been logged. Try again; if it keeps happening, tell your administrator."
	if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
		var body errorBody
		body.Error.Code, body.Error.Message = tandem.EINTERNAL, msg
		writeJSON(w, http.StatusInternalServerError, body)
		return
	}
	var buf bytes.Buffer
	data := pageData{Title: http.StatusText(http.StatusInternalServerError), Status: http.StatusInternalServerError, Error: msg, Loc: time.UTC}
	if err := s.ui.pages["error"].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		s.Logger.Error("render page", "page", "error", "err", err)
		http.Error(w, msg, http.StatusInternalServerError)
		return
	}
	writePage(w, http.StatusInternalServerError, &buf)
}

// renderError shows an error page with the status of err's code.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error, data pageData) {
	if s.answeredGone(w, r, err) {
		return
	}
	code := tandem.ErrorCode(err)
	if code == tandem.EINTERNAL {
		s.Logger.Error("internal error", "method", r.Method, "route", r.Pattern, "err", err)
	}
	setRetryAfter(w, err)
	data.Status = ErrorStatus(code)
	data.Title, data.Error = http.StatusText(data.Status), tandem.ErrorMessage(err)
	s.render(w, r, data.Status, "error", data)
}

// page wraps a UI handler: it requires a signed-in session (redirecting to
// the login page otherwise) and puts the actor in the context. A session
// still awaiting its second factor counts as not signed in: it is sent to
// /login/mfa, which is no page() route. A user who must use MFA but has not
// set it up reaches only the set-up pages under /account/mfa.
func (s *Server) page(h func(http.ResponseWriter, *http.Request, pageData)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		toLogin := func() {
			if r.Method == http.MethodGet {
				s.rememberReturn(w, r.URL.RequestURI())
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
		}
		c, err := r.Cookie(SessionCookie)
		if err != nil { // no cookie: a visitor who has not logged in
			toLogin()
			return
		}
		state, err := s.SessionService.ResolveSession(r.Context(), c.Value)
		if err != nil {
			if tandem.ErrorCode(err) == tandem.EINTERNAL {
				s.renderError(w, r, err, pageData{})
				return
			}
			toLogin()
			return
		}
		if state.AwaitingMFA {
			http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
			return
		}
		if state.MustEnrollMFA && r.URL.Path != "/account/mfa" && !strings.HasPrefix(r.URL.Path, "/account/mfa/") {
			http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
			return
		}
		r, data, err := s.signedIn(r, state.Actor)
		if err != nil {
			s.renderError(w, r, err, data)
			return
		}
		data.Bell = !state.MustEnrollMFA
		h(w, r, data)
	}
}

// signedIn puts a signed-in actor in r's context and gathers what the frame
// of every page shows them: their zone, user, organisations, navigation and
// organisation switcher.
func (s *Server) signedIn(r *http.Request, actor *tandem.Actor) (*http.Request, pageData, error) {
	actor.SourceAddr = sourceAddr(r)
	ctx := tandem.NewContextWithClient(tandem.NewContextWithActor(r.Context(), actor), clientOf(r))
	r = r.WithContext(ctx)
	data := pageData{Actor: actor, Loc: s.viewerZone(ctx, actor)}
	data.Zone = data.Loc.String()
	var err error
	if data.User, err = s.UserService.FindUserByID(ctx, actor.UserID); err != nil {
		return r, data, err
	}
	// The organisation switcher lists the first page of organisations in scope.
	if data.Organizations, _, err = s.OrganizationService.FindOrganizations(ctx, tandem.OrganizationFilter{Limit: 200}); err != nil {
		return r, data, err
	}
	data.Nav = navigation(actor, data.Organizations, r.URL.Path)
	data.Switcher = s.newSwitcher(r, actor, data.Organizations)
	data.Unread = s.unreadCount(r)
	return r, data, nil
}

// viewerPageData is the frame of a page outside page(), such as the error
// page of a URL no route serves: the signed-in viewer's when the request
// has a session past its second factor, otherwise the bare frame of a
// visitor.
func (s *Server) viewerPageData(r *http.Request) (pageData, *http.Request) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return pageData{}, r
	}
	state, err := s.SessionService.ResolveSession(r.Context(), c.Value)
	if err != nil || state.AwaitingMFA || state.MustEnrollMFA {
		return pageData{}, r
	}
	signed, data, err := s.signedIn(r, state.Actor)
	if err != nil {
		return pageData{}, r
	}
	data.Bell = true
	return data, signed
}
