package instance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/seatplan/seatplan/store/licensing"
)

// maxAnswerBytes bounds what is read from the server; a license answer is
// a few kilobytes at most.
const maxAnswerBytes = 1 << 20

// APIError is an answer from the server other than the one expected.
type APIError struct {
	Status  int
	Code    string // the "error" member of the body, if any
	Message string // the "message" member of the body, if any
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("server answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("server answered %d: %s", e.Status, e.Message)
}

// fetchLicense asks for the activation's current license, revalidating the
// one in st by its ETag, and on a new document stores it in st. st.JWKS is
// updated whenever the key set is fetched, even if the refresh then fails.
func (s server) fetchLicense(ctx context.Context, activationID, secret string, st *state) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		s.baseURL+"/activations/"+url.PathEscape(activationID)+"/license", nil)
	if err != nil {
		return fmt.Errorf("refresh license: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Accept", "application/json")
	if st.JWS != "" && st.ETag != "" {
		req.Header.Set("If-None-Match", st.ETag)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return fmt.Errorf("refresh license: %w", err)
	}
	defer resp.Body.Close()

	switch resp.StatusCode {
	case http.StatusNotModified:
		if st.JWS == "" {
			return errors.New("refresh license: 304 Not Modified for a license this instance does not hold")
		}
		return nil
	case http.StatusOK:
		var answer struct {
			JWS string `json:"jws"`
		}
		if err := decodeAnswer(resp, &answer); err != nil {
			return fmt.Errorf("refresh license: %w", err)
		}
		claims, keys, err := s.verify(ctx, answer.JWS, st.JWKS)
		st.JWKS = keys
		if err != nil {
			return fmt.Errorf("refresh license: %w", err)
		}
		st.JWS, st.ETag, st.claims = answer.JWS, resp.Header.Get("ETag"), claims
		return nil
	case http.StatusUnauthorized, http.StatusNotFound:
		return fmt.Errorf("refresh license: %w: %w", ErrActivationRevoked, readAPIError(resp))
	default:
		return fmt.Errorf("refresh license: %w", readAPIError(resp))
	}
}

// activation is the 201 answer to POST /api/v1/activations.
type activation struct {
	ActivationID string `json:"activation_id"`
	Secret       string `json:"secret"`
	JWS          string `json:"jws"`
}

func (s server) activate(ctx context.Context, licenseKey, instanceID string) (activation, error) {
	var answer activation
	body, err := json.Marshal(map[string]string{"license_key": licenseKey, "instance_id": instanceID})
	if err != nil {
		return answer, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.baseURL+"/activations", bytes.NewReader(body))
	if err != nil {
		return answer, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		return answer, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return answer, readAPIError(resp)
	}
	if err := decodeAnswer(resp, &answer); err != nil {
		return answer, err
	}
	if answer.ActivationID == "" || answer.Secret == "" {
		return answer, errors.New("the answer lacks the activation id or secret")
	}
	return answer, nil
}

// verify checks jws against keys, fetching the server's key set when keys
// is empty or, once, when it lacks the document's key (the server rotated).
// It returns the key set it ended with, for the caller to cache.
func (s server) verify(ctx context.Context, jws string, keys licensing.JWKS) (licensing.Claims, licensing.JWKS, error) {
	fetched := false
	if len(keys.Keys) == 0 {
		var err error
		if keys, err = s.fetchJWKS(ctx); err != nil {
			return licensing.Claims{}, keys, err
		}
		fetched = true
	}
	claims, err := licensing.Verify(jws, keys)
	if errors.Is(err, licensing.ErrUnknownKey) && !fetched {
		fresh, fetchErr := s.fetchJWKS(ctx)
		if fetchErr != nil {
			return licensing.Claims{}, keys, errors.Join(err, fetchErr)
		}
		keys = fresh
		claims, err = licensing.Verify(jws, keys)
	}
	return claims, keys, err
}

func (s server) fetchJWKS(ctx context.Context) (licensing.JWKS, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.baseURL+"/license-signing-key", nil)
	if err != nil {
		return licensing.JWKS{}, fmt.Errorf("fetch license signing keys: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		return licensing.JWKS{}, fmt.Errorf("fetch license signing keys: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return licensing.JWKS{}, fmt.Errorf("fetch license signing keys: %w", readAPIError(resp))
	}
	var keys licensing.JWKS
	if err := decodeAnswer(resp, &keys); err != nil {
		return licensing.JWKS{}, fmt.Errorf("fetch license signing keys: %w", err)
	}
	return keys, nil
}

func decodeAnswer(resp *http.Response, v any) error {
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswerBytes)).Decode(v); err != nil {
		return fmt.Errorf("decode the %d answer: %w", resp.StatusCode, err)
	}
	return nil
}

// readAPIError turns an unexpected answer into an *APIError, taking the
// code and message from a JSON error body when there is one.
func readAPIError(resp *http.Response) *APIError {
	var body struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	// A body that is not a JSON error still leaves the status to report.
	_ = json.NewDecoder(io.LimitReader(resp.Body, 4<<10)).Decode(&body)
	return &APIError{Status: resp.StatusCode, Code: body.Error, Message: body.Message}
}
