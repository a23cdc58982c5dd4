package agent

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tandemhq/tandem/agentproto"
)

// Client speaks /agent/v1 to one server.
type Client struct {
	Server string
	HTTP   *http.Client
}

// NewClient returns a client of server (its base URL). A pin, the hex
// SHA-256 of the server certificate's DER, replaces the usual chain
// verification: the agent talks only to the server holding that very
// certificate, self-signed or not.
func NewClient(server, pin string) (*Client, error) {
	server = strings.TrimRight(strings.TrimSpace(server), "/")
	if !strings.HasPrefix(server, "https://") && !strings.HasPrefix(server, "http://") {
		return nil, fmt.Errorf("--server %q must be the server's URL, such as https://tandem.example.com", server)
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     2 * time.Minute,
	}
	if pin != "" {
		want, err := hex.DecodeString(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(pin)), ":", ""))
		if err != nil || len(want) != sha256.Size {
			return nil, fmt.Errorf("--pin must be the SHA-256 of the server's certificate in hex (64 digits, colons allowed), as openssl x509 -outform DER | sha256sum prints")
		}
		tr.TLSClientConfig = &tls.Config{
			// The pin is the verification: the chain is not checked.
			InsecureSkipVerify: true,
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				if len(raw) == 0 {
					return errors.New("the server sent no certificate")
				}
				got := sha256.Sum256(raw[0])
				if !bytes.Equal(got[:], want) {
					return fmt.Errorf("the server's certificate (SHA-256 %x) is not the pinned one: the agent refuses to talk to it", got)
				}
				return nil
			},
		}
	}
	return &Client{Server: server, HTTP: &http.Client{Transport: tr, Timeout: 60 * time.Second}}, nil
}

// StatusError is an answer other than 2xx.
type StatusError struct {
	Status  int
	Code    string
	Message string
}

func (e *StatusError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("the server answered %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("the server answered %d", e.Status)
}

// Retry says whether the message is worth sending again: anything but a
// refusal of the message itself (400, 413, 422). A 404 or 405 is most
// likely a proxy or a wrong URL in front of the server, not the message.
func (e *StatusError) Retry() bool {
	switch e.Status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return false
	}
	return true
}

// gzipWriters are reused: a new gzip.Writer allocates its compression
// tables, most of a megabyte, which a load generator's thousands of
// agents would allocate every second.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// gzipAbove is the size above which a body is gzipped: a check-in's few
// hundred bytes cost more CPU to compress on both ends than they save.
const gzipAbove = 2 << 10

// post sends body (gzipped when large) to path as credential and decodes the 2xx
// answer into out.
func (c *Client) post(ctx context.Context, path, credential string, body []byte, out any) error {
	var buf bytes.Buffer
	zipped := len(body) > gzipAbove
	if zipped {
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&buf)
		zw.Write(body)
		zw.Close()
		gzipWriters.Put(zw)
	} else {
		buf.Write(body)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Server+path, &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if zipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	req.Header.Set("User-Agent", "tandem-agent/"+Version)
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		se := &StatusError{Status: resp.StatusCode}
		var e struct {
			Error agentproto.ErrorResponse `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil {
			se.Code, se.Message = e.Error.Code, e.Error.Message
		}
		return se
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

// Enroll exchanges an enrolment token for the agent's identity.
func (c *Client) Enroll(ctx context.Context, req *agentproto.EnrollRequest) (*agentproto.EnrollResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var resp agentproto.EnrollResponse
	return &resp, c.post(ctx, agentproto.PathEnroll, "", body, &resp)
}

// SendCheckin sends a spooled check-in's body.
func (c *Client) SendCheckin(ctx context.Context, credential string, body []byte) (*agentproto.CheckinResponse, error) {
	var resp agentproto.CheckinResponse
	return &resp, c.post(ctx, agentproto.PathCheckin, credential, body, &resp)
}

// SendInventory sends a spooled inventory's body.
func (c *Client) SendInventory(ctx context.Context, credential string, body []byte) (*agentproto.InventoryResponse, error) {
	var resp agentproto.InventoryResponse
	return &resp, c.post(ctx, agentproto.PathInventory, credential, body, &resp)
}
