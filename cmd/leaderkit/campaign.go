package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/leaderkit/leaderkit/election"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
	"github.com/leaderkit/leaderkit/schedule"
)

// campaignEtcd campaigns for an etcd lock until ctx ends, printing a line
// each time it starts or stops leading. It releases leadership on exit.
func campaignEtcd(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("campaign", flag.ContinueOnError)
	endpoints := fs.String("etcd", "", "comma-separated etcd endpoints (required)")
	name := fs.String("lock", "", "lock name (required)")
	id := fs.String("id", "", "candidate identity (required)")
	ttl := fs.Duration("ttl", 3*time.Second, "etcd lease TTL: a killed leader is replaced about this long after its death")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *endpoints == "" || *name == "" || *id == "" {
		return errors.New("campaign: -etcd, -lock and -id are required")
	}
	client, err := clientv3.New(clientv3.Config{
		Endpoints:   strings.Split(*endpoints, ","),
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return fmt.Errorf("campaign: etcd client: %w", err)
	}
	defer client.Close()
	l, err := etcdlock.New(client, *name, *id, etcdlock.WithTTL(*ttl))
	if err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	svc, err := election.FromLock(l, schedule.DefaultRetry[error]())
	if err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	_, err = election.Campaign(ctx, svc, func(ctx context.Context) (struct{}, error) {
		term, _ := election.TermFrom(ctx)
		fmt.Fprintf(out, "lead %s %d\n", *id, term)
		<-ctx.Done() // the work: runs until leadership ends
		fmt.Fprintf(out, "stop %s %d %v\n", *id, term, context.Cause(ctx))
		return struct{}{}, nil
	})
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("campaign: %w", err)
}
