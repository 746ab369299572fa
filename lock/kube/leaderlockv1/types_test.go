package leaderlockv1_test

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/leaderkit/leaderkit/lock/kube/leaderlockv1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The types register under leaderkit.io/v1 and survive a JSON round trip
// with their apiVersion and kind; DeepCopy copies deeply.
func TestSchemeRoundTrip(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := leaderlockv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	codecs := serializer.NewCodecFactory(scheme)
	in := &leaderlockv1.LeaderLock{
		ObjectMeta: metav1.ObjectMeta{Name: "leader", Namespace: "ns", Labels: map[string]string{"a": "b"}},
		Spec:       leaderlockv1.LeaderLockSpec{Holder: "pod-a", PodUID: "uid-a", Term: 42},
	}
	data, err := runtime.Encode(codecs.LegacyCodec(leaderlockv1.SchemeGroupVersion), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"apiVersion":"leaderkit.io/v1"`, `"kind":"LeaderLock"`, `"holder":"pod-a"`, `"podUID":"uid-a"`, `"term":42`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("encoded %s lacks %s", data, want)
		}
	}
	out, err := runtime.Decode(codecs.UniversalDecoder(leaderlockv1.SchemeGroupVersion), data)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := out.(*leaderlockv1.LeaderLock)
	if !ok || got.Spec != in.Spec || got.Name != "leader" {
		t.Fatalf("decoded %#v", out)
	}

	cp := in.DeepCopy()
	cp.Labels["a"] = "changed"
	if in.Labels["a"] != "b" {
		t.Error("DeepCopy shares the labels map")
	}
	list := &leaderlockv1.LeaderLockList{Items: []leaderlockv1.LeaderLock{*in}}
	lc := list.DeepCopyObject().(*leaderlockv1.LeaderLockList)
	lc.Items[0].Labels["a"] = "changed"
	if in.Labels["a"] != "b" {
		t.Error("LeaderLockList.DeepCopy shares an item's labels map")
	}
	if (*leaderlockv1.LeaderLock)(nil).DeepCopy() != nil || (*leaderlockv1.LeaderLock)(nil).DeepCopyObject() != nil ||
		(*leaderlockv1.LeaderLockList)(nil).DeepCopy() != nil || (*leaderlockv1.LeaderLockList)(nil).DeepCopyObject() != nil {
		t.Error("a deep copy of nil is not nil (or is an interface holding a nil pointer)")
	}
	if data, _ := runtime.Encode(codecs.LegacyCodec(leaderlockv1.SchemeGroupVersion), &leaderlockv1.LeaderLock{}); !strings.Contains(string(data), `"spec":{"holder":""}`) {
		t.Errorf("an empty LeaderLock encodes as %s", data)
	}
}
