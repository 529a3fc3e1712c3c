from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_events')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Initiative',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uri', fields.CharField(unique=True, max_length=2048)),
                ('local', fields.BooleanField(default=False, db_index=True)),
                ('organizer', fields.ForeignKeyField('models.Actor', source_field='organizer_id', db_constraint=True, to_field='id', related_name='initiatives', on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(null=True, max_length=2048)),
                ('title', fields.CharField(max_length=300)),
                ('summary', fields.TextField(default='', unique=False)),
                ('source', fields.TextField(default='', unique=False)),
                ('content', fields.TextField(default='', unique=False)),
                ('kind', fields.CharField(max_length=32)),
                ('status', fields.CharField(default='proposed', max_length=16)),
                ('status_history', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('place_there', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('place_here', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('cover_url', fields.CharField(null=True, max_length=2048)),
                ('cover_alt', fields.CharField(default='', max_length=1000)),
                ('cover_media_type', fields.CharField(null=True, max_length=64)),
                ('language', fields.CharField(null=True, max_length=35)),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('responsible', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('supporters_public', fields.BooleanField(default=True)),
                ('support_count', fields.IntField(default=0)),
                ('totals', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('data', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('published', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'initiatives', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A community project (development, humanitarian appeal, advocacy, mutual aid, culture): ours'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('initiative', fields.ForeignKeyField('models.Initiative', source_field='initiative_id', db_constraint=True, to_field='id', related_name='ledger', on_delete=OnDelete.CASCADE)),
                ('direction', fields.CharField(max_length=8)),
                ('nature', fields.CharField(default='money', max_length=8)),
                ('amount_minor', fields.BigIntField(null=True)),
                ('currency', fields.CharField(null=True, max_length=3)),
                ('description', fields.TextField(unique=False)),
                ('occurred_on', fields.DateField()),
                ('receipt_url', fields.CharField(null=True, max_length=2048)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'ledger_entries', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One line of the transparency ledger: money or in-kind, received or spent. Totals are derived.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Need',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('initiative', fields.ForeignKeyField('models.Initiative', source_field='initiative_id', db_constraint=True, to_field='id', related_name='needs', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('title', fields.CharField(max_length=300)),
                ('description', fields.TextField(default='', unique=False)),
                ('skills', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('quantity', fields.IntField(null=True)),
                ('goal_minor', fields.BigIntField(null=True)),
                ('currency', fields.CharField(null=True, max_length=3)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'needs', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What an initiative asks for: volunteers (with skills), materials, or money (goal + currency).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Pledge',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('need', fields.ForeignKeyField('models.Need', source_field='need_id', db_constraint=True, to_field='id', related_name='pledges', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.Actor', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='pledges', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(default='', max_length=255)),
                ('email', fields.CharField(null=True, max_length=320)),
                ('quantity', fields.IntField(null=True)),
                ('amount_minor', fields.BigIntField(null=True)),
                ('message', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'pledges', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Someone offering help against a need.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Support',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uri', fields.CharField(unique=True, max_length=2048)),
                ('initiative', fields.ForeignKeyField('models.Initiative', source_field='initiative_id', db_constraint=True, to_field='id', related_name='supports', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.Actor', source_field='actor_id', db_constraint=True, to_field='id', related_name='supports', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'supports', 'app': 'models', 'unique_together': (('initiative', 'actor'),), 'pk_attr': 'id', 'table_description': 'A show of support by a local member or a remote actor (a Like from Mastodon counts).'},
            bases=['Model'],
        ),
    ]
