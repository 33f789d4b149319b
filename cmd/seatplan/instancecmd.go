package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/seatplan/seatplan/cmd/seatplan/instance"
)

// instanceActivation is what the demo instance keeps next to its license
// state: the activation it refreshes with. The secret makes it private.
type instanceActivation struct {
	Server       string `json:"server"`
	InstanceID   string `json:"instance_id"`
	ActivationID string `json:"activation_id"`
	Secret       string `json:"secret"`
}

// instanceCommand plays a client instance: it activates a license once,
// then refreshes it as a real instance would (daily, or now when asked
// because a limit was reached) and prints the license it holds.
func instanceCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seatplan instance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		server, key, statePath, instanceID string
		limit                              bool
		watch                              time.Duration
	)
	host, _ := os.Hostname()
	fs.StringVar(&server, "server", "http://127.0.0.1:8080", "Seatplan server URL")
	fs.StringVar(&key, "license-key", "", "activation key of the license (needed until the instance is activated)")
	fs.StringVar(&statePath, "state", "seatplan-license.json", "file holding the license; the activation is kept in FILE.activation")
	fs.StringVar(&instanceID, "instance-id", host, "this instance's id")
	fs.BoolVar(&limit, "refresh-for-limit", false, "refresh now because a limit was reached (at most hourly)")
	fs.DurationVar(&watch, "watch", 0, "keep running and check the license at this interval (e.g. 1m)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}

	act, err := loadOrActivate(ctx, statePath+".activation", server, key, instanceID, stderr)
	if err != nil {
		return err
	}
	client, err := instance.Open(instance.Config{ServerURL: act.Server, ActivationID: act.ActivationID, Secret: act.Secret, StatePath: statePath})
	if err != nil {
		return err
	}
	var printed string
	for {
		refresh := client.MaybeRefresh
		if limit {
			refresh, limit = client.RefreshForLimit, false
		}
		if err := refresh(ctx); err != nil {
			// The instance keeps its license when the server cannot be reached.
			fmt.Fprintf(stderr, "refresh failed, keeping the license held: %v\n", err)
		}
		lic, ok := client.License()
		if !ok {
			return errors.New("this instance holds no valid license")
		}
		if lic.JWS != printed {
			if err := printLicense(stdout, lic); err != nil {
				return err
			}
			printed = lic.JWS
		}
		if watch <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(watch):
		}
	}
}

// loadOrActivate returns the saved activation, or activates with key and
// saves it (readable by this user only).
func loadOrActivate(ctx context.Context, path, server, key, instanceID string, stderr io.Writer) (instanceActivation, error) {
	var act instanceActivation
	raw, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(raw, &act); err != nil {
			return act, fmt.Errorf("read %s: %w", path, err)
		}
		return act, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return act, err
	}
	if key == "" {
		return act, errors.New("this instance is not activated yet: pass --license-key")
	}
	id, secret, _, err := instance.Activate(ctx, server, key, instanceID, nil)
	if err != nil {
		return act, err
	}
	act = instanceActivation{Server: server, InstanceID: instanceID, ActivationID: id, Secret: secret}
	raw, err = json.MarshalIndent(act, "", "  ")
	if err != nil {
		return act, err
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return act, fmt.Errorf("save the activation: %w", err)
	}
	fmt.Fprintf(stderr, "activated as %s (activation %s)\n", instanceID, id)
	return act, nil
}

func printLicense(w io.Writer, lic instance.License) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(lic.Claims)
}
