package paths_test

import (
	"net/url"
	"testing"

	"github.com/seatplan/seatplan/views/paths"
)

func TestPaths_EscapeWhatGoesIntoThem(t *testing.T) {
	t.Parallel()
	key := "course-v1:Org+Num+Run"
	for _, c := range []struct{ got, want string }{
		{paths.Course(key), "/courses/course-v1:Org+Num+Run"},
		{paths.CourseBlock(key, "b 1"), "/courses/course-v1:Org+Num+Run?block=b+1"},
		{paths.CourseLearners(key, "", ""), "/enrollments/courses/course-v1:Org+Num+Run"},
		{paths.CourseLearners(key, "a&b", "x"), "/enrollments/courses/course-v1:Org+Num+Run?after=x&q=a%26b"},
		{paths.Course("a/b?c#d"), "/courses/a%2Fb%3Fc%23d"},
		{paths.LockRelease("course:" + key), "/locks/course:course-v1:Org+Num+Run/release"},
		{paths.PlanAssignment("p1", "j1"), "/plans/p1?job=j1#assignment"},
		{paths.CourseHistory(key, url.Values{"actor": {""}}), "/courses/course-v1:Org+Num+Run/history"},
		{paths.APIBlock(key, "b1"), "/api/v1/courses/course-v1:Org+Num+Run/blocks/b1"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}
