"""Calendar pages (スケジュール), one module per screen: the grids (`schedule`: own, another person's, the
group schedule), the event form (`event_form`), an event's page and what one does there (`event_detail`), and
the calendar settings (`settings`: feed, export, import). Views parse, call `kiban.calendar.actions` /
`queries`, and render; layout lives in `kiban.calendar.grid`."""
