package handlers

import (
	"testing"

	"github.com/seatplan/seatplan/handlers/apitest"
	"github.com/seatplan/seatplan/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m, apitest.CheckDefaultTransport()) }
