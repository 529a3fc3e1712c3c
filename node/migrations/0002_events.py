from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Event',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uri', fields.CharField(unique=True, max_length=2048)),
                ('local', fields.BooleanField(default=False, db_index=True)),
                ('organizer', fields.ForeignKeyField('models.Actor', source_field='organizer_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('group_uri', fields.CharField(null=True, max_length=2048)),
                ('url', fields.CharField(null=True, max_length=2048)),
                ('name', fields.CharField(max_length=1000)),
                ('source', fields.TextField(default='', unique=False)),
                ('content', fields.TextField(default='', unique=False)),
                ('start', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('end', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('timezone', fields.CharField(default='UTC', max_length=64)),
                ('all_day', fields.BooleanField(default=False)),
                ('places', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('online_url', fields.CharField(null=True, max_length=2048)),
                ('status', fields.CharField(default='CONFIRMED', max_length=16)),
                ('join_mode', fields.CharField(default='free', max_length=16)),
                ('capacity', fields.IntField(null=True)),
                ('category', fields.CharField(null=True, max_length=64)),
                ('language', fields.CharField(null=True, max_length=35)),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('external_url', fields.CharField(null=True, max_length=2048)),
                ('banner_url', fields.CharField(null=True, max_length=2048)),
                ('banner_alt', fields.CharField(default='', max_length=1000)),
                ('banner_media_type', fields.CharField(null=True, max_length=64)),
                ('contacts', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('anonymous_participation', fields.BooleanField(default=False)),
                ('comments_enabled', fields.BooleanField(default=True)),
                ('replies_moderation', fields.CharField(default='allow_all', max_length=16)),
                ('ical_uid', fields.CharField(null=True, db_index=True, max_length=512)),
                ('series_uid', fields.CharField(null=True, db_index=True, max_length=512)),
                ('participant_count', fields.IntField(default=0)),
                ('data', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('published', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'events', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One occurrence of an event: ours (local) or received from the network calendar (remote).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Participation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uri', fields.CharField(unique=True, max_length=2048)),
                ('event', fields.ForeignKeyField('models.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='participations', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.Actor', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='participations', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(default='', max_length=255)),
                ('email', fields.CharField(null=True, max_length=320)),
                ('state', fields.CharField(default='pending', max_length=16)),
                ('token', fields.CharField(null=True, unique=True, max_length=64)),
                ('confirmed', fields.BooleanField(default=True)),
                ('message', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'participations', 'app': 'models', 'unique_together': (('event', 'actor'),), 'pk_attr': 'id', 'table_description': 'Someone taking part in an event: a local member, a remote actor (Join), or a visitor without an'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Post',
            name='held',
            field=fields.BooleanField(default=False),
        ),
    ]
