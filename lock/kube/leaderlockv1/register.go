package leaderlockv1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
)

var (
	// SchemeBuilder registers the LeaderLock types with a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme adds LeaderLock and LeaderLockList, and the meta/v1
	// option types, to a scheme (for example a controller-runtime client's).
	AddToScheme = SchemeBuilder.AddToScheme
)

// The client's own scheme: the LeaderLock types plus the unversioned meta
// types (Status for errors in watch streams), as generated clientsets have.
var (
	scheme         = runtime.NewScheme()
	codecs         = serializer.NewCodecFactory(scheme)
	parameterCodec = runtime.NewParameterCodec(scheme)
)

func init() {
	utilruntime.Must(AddToScheme(scheme))
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
}

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(SchemeGroupVersion, &LeaderLock{}, &LeaderLockList{})
	metav1.AddToGroupVersion(s, SchemeGroupVersion)
	return nil
}
