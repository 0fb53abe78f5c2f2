-- A photo accepted from a sender and the background task that finishes it, in one statement
-- (interventions/services/photos.py photo_create): one round trip, atomic without BEGIN/COMMIT,
-- where the ORM took four (BEGIN, two INSERTs, COMMIT). The values are the ORM's own
-- (core/sql.py insert_values, core/tasks.py db_task_row); the task's only argument is the new
-- photo's id, known here only. A key already stored fails on its unique constraint, as before.
WITH photo AS (
    INSERT INTO interventions_photo (
        community_id, intervention_id, report_id, kind, file, status, upload, problem,
        taken_at, client_uuid, geom, created_at
    ) VALUES (
        %(community_id)s, %(intervention_id)s, %(report_id)s, %(kind)s, %(file)s, %(status)s,
        %(upload)s, %(problem)s, %(taken_at)s, %(client_uuid)s, %(geom)s, %(created_at)s
    )
    RETURNING id
), task AS (
    INSERT INTO django_tasks_database_dbtaskresult (
        id, status, enqueued_at, started_at, finished_at, args_kwargs, priority, task_path,
        worker_ids, queue_name, backend_name, run_after, return_value, exception_class_path,
        traceback
    )
    SELECT %(task_id)s, %(task_status)s, %(task_enqueued_at)s, %(task_started_at)s,
           %(task_finished_at)s,
           jsonb_set(%(task_args_kwargs)s::jsonb, '{args,0}', to_jsonb(photo.id)),
           %(task_priority)s, %(task_task_path)s, %(task_worker_ids)s, %(task_queue_name)s,
           %(task_backend_name)s, %(task_run_after)s, %(task_return_value)s,
           %(task_exception_class_path)s, %(task_traceback)s
    FROM photo
)
SELECT id FROM photo
