-- (re)create the router views behind the public views for the current mode
SELECT pgrollup_internal.messaging_route();
