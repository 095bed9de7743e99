"""A small workload touching both modules (settings, inserts, updates, deletes, backfill, refresh),
shared by the search_path and upgrade tests."""


def mixed_workload(conn, offset=0):
    conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'Asia/Kolkata')")
    conn.execute("SELECT pgrollup.set_reporting_timezone(2, 'America/St_Johns')")
    conn.execute("SELECT pgrollup.set_rollup_reads(1, true)")
    conn.execute("SELECT pgrollup.set_tenant_timezone(1, 'Pacific/Chatham')")
    conn.execute(f"""
        INSERT INTO public.reporting_events (name, value, value_in_business_hours, account_id, inbox_id, user_id,
                                             conversation_id, created_at, updated_at)
        SELECT (ARRAY['conversation_resolved','first_response','reply_time','conversation_bot_handoff',
                      'conversation_bot_resolved','unknown'])[1 + g % 6],
               (g * 37) % 900, (g * 11) % 400, 1 + g % 2, nullif(g % 4, 0), nullif(g % 5, 0), g % 40,
               timestamp '2026-03-01' + g * interval '53 minutes', timestamp '2026-03-01'
          FROM generate_series({1 + offset}, {1500 + offset}) g""")
    conn.execute("UPDATE public.reporting_events SET value = value + 1 WHERE id % 7 = 0")
    conn.execute("UPDATE public.outbound_messages SET campaign_id = 2 WHERE id % 9 = 0")
    conn.execute("DELETE FROM public.reporting_events WHERE id % 11 = 0")
    conn.execute(f"""
        INSERT INTO public.outbound_messages (tenant_id, campaign_id, contact_id, channel, created_at, sent_at)
        SELECT 1 + g % 2, nullif(g % 4, 0), g % 30, (ARRAY['email','sms'])[1 + g % 2],
               timestamptz '2026-03-01 00:00+00' + g * interval '41 minutes',
               CASE WHEN g % 5 <> 0 THEN timestamptz '2026-03-01 00:00+00' + g * interval '41 minutes' END
          FROM generate_series({1 + offset}, {600 + offset}) g""")
    conn.execute(f"""
        INSERT INTO public.message_events (tenant_id, message_id, event_type, occurred_at)
        SELECT m.tenant_id, m.id, (ARRAY['delivered','open','click','bounce','unsubscribe','opened'])[1 + (m.id * k) % 6],
               m.created_at + k * interval '3 hours'
          FROM public.outbound_messages m, generate_series(1, 3) k
         WHERE m.created_at >= timestamptz '2026-03-01 00:00+00' + {1 + offset} * interval '41 minutes'""")
    conn.execute("INSERT INTO public.campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at) "
                 "VALUES (1, 1, 'running', '2026-03-02 00:00+00'), (1, 1, 'done', '2026-03-10 00:00+00')")
    conn.execute("SELECT pgrollup.backfill_reporting(1)")
    conn.execute("SELECT * FROM pgrollup.refresh()")
