-- failure_patterns: one row per error signature: what it is, how to fix it, how often and
-- where it happens, whether it is new, and whether it starts failures (root) or follows
-- them (cascade) within a run.
-- grain: signature
-- kind: table
-- audit unit_interval: root_share
-- audit not_negative: occurrences, runs_affected, jobs_affected, occurrences_last_7d, occurrences_prev_7d
with errors as not materialized (
    select * from fct_errors
),

error_codes as not materialized (
    select * from ref_error_codes
),

clock as not materialized (
    select * from int_as_of
),

by_signature as (
    select
        errors.signature,
        arg_max(errors.error_code, errors.ts) as error_code,
        arg_max(errors.error_class, errors.ts) as error_class,
        arg_max(errors.transient, errors.ts) as transient,
        arg_max(errors.message, errors.ts) as sample_message,
        count(*) as occurrences,
        count(distinct errors.run_id) as runs_affected,
        count(distinct errors.job_name) as jobs_affected,
        min(errors.ts) as first_seen,
        max(errors.ts) as last_seen,
        count(*) filter (where errors.ts > clock.as_of - interval 7 day) as occurrences_last_7d,
        count(*) filter (
            where errors.ts > clock.as_of - interval 14 day and errors.ts <= clock.as_of - interval 7 day
        ) as occurrences_prev_7d,
        count(*) filter (where errors.role = 'root') as root_occurrences,
        count(*) filter (where errors.role = 'cascade') as cascade_occurrences,
        count(*) filter (where errors.role = 'recovered') as recovered_occurrences,
        any_value(clock.as_of) as as_of
    from errors
    cross join clock
    group by errors.signature
),

final as (
    select
        by_signature.signature,
        by_signature.error_code,
        by_signature.error_class,
        coalesce(by_signature.transient, error_codes.transient) as transient,
        by_signature.sample_message,
        error_codes.title as error_title,
        error_codes.remediation,
        error_codes.doc_url,
        by_signature.occurrences,
        by_signature.runs_affected,
        by_signature.jobs_affected,
        by_signature.first_seen,
        by_signature.last_seen,
        by_signature.occurrences_last_7d,
        by_signature.occurrences_prev_7d,
        by_signature.first_seen > by_signature.as_of - interval 24 hour as is_new,
        by_signature.root_occurrences,
        by_signature.cascade_occurrences,
        by_signature.recovered_occurrences,
        by_signature.root_occurrences
            / nullif(by_signature.root_occurrences + by_signature.cascade_occurrences, 0) as root_share,
        case
            when by_signature.root_occurrences + by_signature.cascade_occurrences = 0 then 'recovered'
            when by_signature.root_occurrences >= by_signature.cascade_occurrences then 'root'
            else 'cascade'
        end as failure_role
    from by_signature
    left join error_codes on error_codes.code = by_signature.error_code
)

select * from final
