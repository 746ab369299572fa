package lockurl

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/leaderkit/leaderkit/lock"
)

// Every scheme's URLs parse into the backend's inputs.
func TestParseValid(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want spec
	}{
		{"kube://default/web", kubeSpec{namespace: "default", name: "web"}},
		{"KUBE://kube-system/web.v2?kubeconfig=%2Ftmp%2Fk", kubeSpec{namespace: "kube-system", name: "web.v2", kubeconfig: "/tmp/k"}},
		{"etcd://127.0.0.1:2379/jobs", etcdSpec{endpoints: []string{"127.0.0.1:2379"}, name: "jobs"}},
		{"etcd://a:1,[::1]:2,b,[fe80::1]/jobs", etcdSpec{endpoints: []string{"a:1", "[::1]:2", "b:2379", "[fe80::1]:2379"}, name: "jobs"}},
		{"etcd://root:p%40ss@h:2379/jobs", etcdSpec{endpoints: []string{"h:2379"}, username: "root", password: "p@ss", name: "jobs"}},
		{"consul://127.0.0.1:8500/jobs", consulSpec{addr: "127.0.0.1:8500", name: "jobs"}},
		{"consul://h/team/jobs", consulSpec{addr: "h:8500", name: "team/jobs"}},
		{"zk://h:2181/jobs", zkSpec{servers: []string{"h:2181"}, root: "/", name: "jobs"}},
		{"zk://a:1,b/leaderkit/team/jobs", zkSpec{servers: []string{"a:1", "b:2181"}, root: "/leaderkit/team", name: "jobs"}},
		{"postgres://app:secret@db:5432/app?lock=cron&sslmode=disable", pgSpec{
			dsn: "postgres://app:secret@db:5432/app?sslmode=disable", name: "cron",
			show: "postgres://app@db:5432/app?lock=cron"}},
		{"postgresql://db1,db2:5433/app?table=locks2&lock=a+b", pgSpec{
			dsn: "postgresql://db1,db2:5433/app", name: "a b", table: "locks2",
			show: "postgresql://db1,db2:5433/app?lock=a+b&table=locks2"}},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := parse(tc.raw)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parse = %#v, want %#v", got, tc.want)
			}
		})
	}
}

// A mysql URL becomes the driver's DSN, lock parameters removed.
func TestParseMySQL(t *testing.T) {
	for _, tc := range []struct {
		raw, dsn, passwd, name, table, show string
	}{
		{"mysql://root:pw@127.0.0.1:3306/app?lock=cron", "root:pw@tcp(127.0.0.1:3306)/app", "pw", "cron", "", "mysql://root@127.0.0.1:3306/app?lock=cron"},
		{"mysql://root@db/app?parseTime=true&lock=cron&table=t2", "root@tcp(db:3306)/app?parseTime=true", "", "cron", "t2", "mysql://root@db/app?lock=cron&table=t2"},
		{"MySQL://u:p%2Fw%40x%3A@[::1]:3307/my%20db?lock=x", "", "p/w@x:", "x", "", "mysql://u@[::1]:3307/my db?lock=x"},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := parse(tc.raw)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			s := got.(mysqlSpec)
			if tc.dsn != "" && s.cfg.FormatDSN() != tc.dsn {
				t.Errorf("DSN %q, want %q", s.cfg.FormatDSN(), tc.dsn)
			}
			if s.cfg.Passwd != tc.passwd || s.name != tc.name || s.table != tc.table || s.show != tc.show {
				t.Errorf("password %q, lock %q, table %q, display %q; want %q, %q, %q, %q",
					s.cfg.Passwd, s.name, s.table, s.show, tc.passwd, tc.name, tc.table, tc.show)
			}
		})
	}
}

// Bad URLs are usage errors, in one line, naming the part that is wrong.
func TestParseInvalid(t *testing.T) {
	for _, tc := range []struct {
		raw   string
		field string // the *lock.ConfigError's Field; "" for a driver's own error
	}{
		{"", "URL"},
		{"just-a-name", "URL"},
		{"etcd:/h/x", "URL"},
		{"://h/x", "URL"},
		{"redis://h/x", "scheme"},
		{"etcd://h/x#top", "fragment"},
		{"etcd://h/x?a=%zz", "query"},
		{"etcd://u:%zz@h/x", "user information"},

		{"kube:///web", "namespace"},
		{"kube://Default/web", "namespace"},
		{"kube://default", "lock name"},
		{"kube://default/", "lock name"},
		{"kube://default/a/b", "lock name"},
		{"kube://default/Web", "lock name"},
		{"kube://default/web?context=x", "query parameter context"},
		{"kube://default/web?kubeconfig=a&kubeconfig=b", "query parameter kubeconfig"},
		{"kube://me@default/web", "user information"},
		{"kube://a,b/web", "host"},

		{"etcd:///x", "host"},
		{"etcd://h,/x", "host"},
		{"etcd://:2379/x", "host"},
		{"etcd://h:0/x", "port"},
		{"etcd://h:65536/x", "port"},
		{"etcd://h:http/x", "port"},
		{"etcd://h/", "lock name"},
		{"etcd://h", "lock name"},
		{"etcd://h/a/b", "lock name"},
		{"etcd://h/x?ttl=3s", "query parameter ttl"},

		{"consul://a,b/x", "host"},
		{"consul://h/", "lock name"},
		{"consul://u@h/x", "user information"},
		{"consul://h/x?token=t", "query parameter token"},

		{"zk://h/", "lock name"},
		{"zk://h", "lock name"},
		{"zk://h/a//b", "path"},
		{"zk://h/a/", "path"},
		{"zk://h/a/../b", "path"},
		{"zk://h:99999/x", "port"},

		{"postgres://db/app", "query parameter lock"},
		{"postgres://db/app?lock=", "query parameter lock"},
		{"postgres://db/app?lock=a&lock=b", "query parameter lock"},
		{"postgres://db/app?lock=a&table=t&table=u", "query parameter table"},
		{"postgres://db:x/app?lock=a", ""},

		{"mysql://root@h/?lock=x", "database"},
		{"mysql://root@h?lock=x", "database"},
		{"mysql://root@h/a/b?lock=x", "database"},
		{"mysql://root@h/app", "query parameter lock"},
		{"mysql://a,b/app?lock=x", "host"},
		{"mysql://root@h:0/app?lock=x", "port"},
		{"mysql://root@h/app?lock=x&parseTime=maybe", ""},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			_, err := parse(tc.raw)
			checkUsage(t, err, tc.field)
		})
	}
}

// checkUsage checks that err is a one-line usage error whose ConfigError
// names field (any error when field is "").
func checkUsage(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, ErrUsage) {
		t.Errorf("%v: does not match ErrUsage", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error of more than one line: %q", err)
	}
	if field == "" {
		return
	}
	var ce *lock.ConfigError
	if !errors.As(err, &ce) || ce.Field != field {
		t.Errorf("%v: want a *lock.ConfigError naming %q", err, field)
	}
}

// Errors never show a password, in the user information or a parameter,
// even for URLs that do not parse.
func TestErrorsHidePasswords(t *testing.T) {
	for _, raw := range []string{
		"mysql://root:s3cret@h/app?lock=x&parseTime=maybe",
		"mysql://root:s3cret@h/app",
		"postgres://app:s3cret@db:x/app?lock=a",
		"postgres://app@db/app?password=s3cret&lock=",
		"redis://u:s3cret@h/x",
		"etcd://u:s3cret@h/x#frag",
		"etcd://u:s3cret@h:0/x",
	} {
		t.Run(raw, func(t *testing.T) {
			_, err := parse(raw)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for raw, want := range map[string]string{
		"etcd://h/x":                     "etcd://h/x",
		"etcd://u@h/x":                   "etcd://u@h/x",
		"etcd://u:p@h/x":                 "etcd://u:xxxxx@h/x",
		"mysql://u:p@w@h/db?lock=x":      "mysql://u:xxxxx@h/db?lock=x",
		"postgres://h/db?password=p&x=1": "postgres://h/db?password=xxxxx&x=1",
		"not a url u:p@h":                "not a url u:p@h",
		"etcd://h/path@with:colon":       "etcd://h/path@with:colon",
	} {
		if got := redact(raw); got != want {
			t.Errorf("redact(%q) = %q, want %q", raw, got, want)
		}
	}
}
