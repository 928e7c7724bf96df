"""Stage `claims`: claims, their kinds, quantities and check-worthiness (data: `kinds.yaml`, `non_assertions.yaml`)."""
