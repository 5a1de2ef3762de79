-- A small hand-made warehouse: the marts the dashboard reads, with values chosen so that
-- every figure a page shows can be worked out by hand (tests/dashboard/test_pages.py).
-- The range under test is 2024-03-08 .. 2024-03-14; its previous period 2024-03-01 .. 03-07.

create table marts.mart_engagement_daily (
    date_day date, device_type text, channel text, sessions bigint, users bigint,
    page_views bigint, total_duration_seconds double precision, bounced_sessions bigint
);
insert into marts.mart_engagement_daily values
    ('2024-03-03', 'desktop', 'Organic Search', 10, 9, 30, 1200, 4),
    ('2024-03-05', 'mobile', 'Direct', 10, 10, 20, 600, 6),
    ('2024-03-08', 'desktop', 'Organic Search', 20, 18, 70, 3000, 5),
    ('2024-03-08', 'mobile', 'Email', 5, 5, 10, 250, 3),
    ('2024-03-10', 'mobile', 'Organic Search', 15, 14, 45, 1500, 6),
    ('2024-03-14', 'tablet', 'Direct', 10, 9, 25, 950, 2);

create table marts.mart_traffic_daily (
    date_day date, dau bigint, wau bigint, mau bigint, sessions bigint, page_views bigint,
    pages_per_session double precision, avg_session_duration_seconds double precision,
    bounced_sessions bigint, bounce_rate double precision
);
insert into marts.mart_traffic_daily values
    ('2024-03-03', 9, 9, 9, 10, 30, 3.0, 120, 4, 0.4),
    ('2024-03-05', 10, 19, 19, 10, 20, 2.0, 60, 6, 0.6),
    ('2024-03-08', 22, 31, 40, 25, 80, 3.2, 130, 8, 0.32),
    ('2024-03-10', 14, 36, 52, 15, 45, 3.0, 100, 6, 0.4),
    ('2024-03-14', 9, 23, 58, 10, 25, 2.5, 95, 2, 0.2);

create table marts.mart_funnel_daily (
    date_day date, device_type text, channel text, sessions bigint,
    product_view_sessions bigint, add_to_cart_sessions bigint, checkout_sessions bigint,
    purchase_sessions bigint
);
insert into marts.mart_funnel_daily values
    ('2024-03-03', 'desktop', 'Organic Search', 10, 6, 3, 2, 1),
    ('2024-03-05', 'mobile', 'Direct', 10, 4, 1, 0, 0),
    ('2024-03-08', 'desktop', 'Organic Search', 20, 12, 6, 4, 3),
    ('2024-03-08', 'mobile', 'Email', 5, 3, 1, 1, 1),
    ('2024-03-10', 'mobile', 'Organic Search', 15, 9, 3, 1, 0),
    ('2024-03-14', 'tablet', 'Direct', 10, 6, 2, 2, 1);

create table marts.dim_product (
    product_id text, product_name text, category text, brand text, latest_price numeric,
    first_seen_at timestamptz, last_seen_at timestamptz
);
insert into marts.dim_product values
    ('P1', 'Laptop Pro 14', 'Laptops', 'Acme', 1500, '2024-03-01', '2024-03-12'),
    ('P2', 'USB-C Hub', 'Accessories', 'Hubber', 30, '2024-03-01', '2024-03-09'),
    ('P3', 'Gaming Mouse', 'Accessories', 'Clicky', 45, '2024-03-01', '2024-03-12');

create table marts.mart_product_daily (
    date_day date, product_id text, impressions bigint, clicks bigint, ctr double precision,
    detail_views bigint, detail_view_sessions bigint, unique_viewers bigint,
    add_to_cart_sessions bigint, atc_rate double precision, purchases bigint, units bigint,
    revenue numeric
);
insert into marts.mart_product_daily values
    ('2024-03-04', 'P1', 100, 10, 0.1, 8, 6, 6, 2, 0.3333, 1, 1, 1500),
    ('2024-03-08', 'P1', 200, 20, 0.1, 16, 12, 11, 4, 0.3333, 2, 2, 3000),
    ('2024-03-09', 'P2', 50, 5, 0.1, 10, 8, 8, 3, 0.375, 2, 3, 90),
    ('2024-03-12', 'P1', 100, 5, 0.05, 4, 4, 4, 0, 0, 0, 0, 0),
    ('2024-03-12', 'P3', 40, 2, 0.05, 3, 3, 3, 1, 0.3333, 0, 0, 0),
    ('2024-03-13', 'P4', 0, 0, null, 1, 1, 1, 0, 0, 0, 0, 0);

create table marts.mart_cart_abandonment_daily (
    date_day date, product_id text, carts_with_product bigint, carts_purchased bigint,
    carts_abandoned bigint, abandoned_value numeric
);
insert into marts.mart_cart_abandonment_daily values
    ('2024-03-02', 'P1', 2, 1, 1, 1500),
    ('2024-03-08', 'P1', 4, 2, 2, 3000),
    ('2024-03-09', 'P2', 3, 2, 1, 30),
    ('2024-03-12', 'P3', 1, 0, 1, 45);

create table marts.mart_search_daily (
    date_day date, search_query text, searches bigint, sessions bigint,
    zero_result_searches bigint, sessions_adding_to_cart bigint
);
insert into marts.mart_search_daily values
    ('2024-03-02', 'mouse', 7, 6, 0, 1),
    ('2024-03-08', 'laptop', 10, 8, 0, 2),
    ('2024-03-10', 'laptop', 5, 4, 1, 1),
    ('2024-03-09', 'usb c hub', 4, 4, 0, 1),
    ('2024-03-11', 'rtx 9090', 3, 3, 3, 0);

create table marts.mart_acquisition_daily (
    date_day date, channel text, source text, medium text, campaign text, device_type text,
    country text, sessions bigint, purchase_sessions bigint, revenue numeric
);
insert into marts.mart_acquisition_daily values
    ('2024-03-03', 'Organic Search', 'google', 'organic', null, 'desktop', 'VN', 10, 1, 1500),
    ('2024-03-05', 'Direct', '(direct)', '(none)', null, 'mobile', 'VN', 10, 0, 0),
    ('2024-03-08', 'Organic Search', 'google', 'organic', null, 'desktop', 'VN', 12, 2, 2000),
    ('2024-03-08', 'Organic Search', 'bing', 'organic', null, 'desktop', 'US', 8, 1, 1000),
    ('2024-03-08', 'Email', 'newsletter', 'email', 'spring_sale', 'mobile', 'VN', 5, 1, 60),
    ('2024-03-10', 'Organic Search', 'google', 'organic', null, 'mobile', 'VN', 15, 0, 0),
    ('2024-03-14', 'Direct', '(direct)', '(none)', null, 'tablet', 'US', 10, 1, 30);

create table marts.mart_pipeline_health_hourly (
    hour_at timestamptz, objects_loaded bigint, rows_loaded bigint, rows_rejected bigint,
    bot_events bigint, duplicate_events bigint, max_lag_seconds double precision,
    avg_lag_seconds double precision
);
insert into marts.mart_pipeline_health_hourly values
    ('2024-03-06 10:00+00', 5, 1000, 10, 50, 20, 1800, 600),
    ('2024-03-08 09:00+00', 10, 2000, 20, 100, 40, 3000, 900),
    ('2024-03-14 23:00+00', 4, 1000, 5, 20, 10, 9000, 1200),
    ('2024-03-15 00:00+00', 1, 100, 0, 0, 0, 60, 60);

create table marts.mart_rejections_hourly (
    hour_at timestamptz, stage text, reason text, rows_rejected bigint
);
insert into marts.mart_rejections_hourly values
    ('2024-03-06 10:00+00', 'ingest', 'schema', 10),
    ('2024-03-08 09:00+00', 'ingest', 'schema', 15),
    ('2024-03-08 09:00+00', 'loader', 'not_json', 5),
    ('2024-03-14 23:00+00', 'ingest', 'size', 5);

create table marts.mart_data_freshness (
    checked_at timestamptz, last_loaded_at timestamptz, last_received_at timestamptz,
    last_event_at timestamptz, failed_objects bigint, last_load_status text,
    last_load_finished_at timestamptz
);
insert into marts.mart_data_freshness values (
    '2024-03-15 01:00+00', '2024-03-15 00:30+00', '2024-03-15 00:20+00',
    '2024-03-15 00:19+00', 1, 'succeeded', '2024-03-15 00:31+00'
);

create table marts.dbt_invocations (
    invocation_id text, command text, started_at timestamptz, finished_at timestamptz,
    status text, models_ok integer, models_error integer, tests_passed integer,
    tests_failed integer, tests_warned integer, elapsed_seconds double precision
);
insert into marts.dbt_invocations values
    ('inv-0', 'build', '2024-03-14 00:35+00', '2024-03-14 00:41+00', 'error', 18, 2, 70, 3, 0, 360),
    ('inv-1', 'build', '2024-03-15 00:35+00', '2024-03-15 00:40+00', 'success', 20, 0, 80, 0, 1, 300),
    ('inv-2', 'run', '2024-03-15 00:50+00', '2024-03-15 00:52+00', 'success', 20, 0, 0, 0, 0, 120);

grant select on all tables in schema marts to clickstream_reader;
