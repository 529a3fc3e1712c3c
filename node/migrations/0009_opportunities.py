from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_guides')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Opportunity',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uri', fields.CharField(unique=True, max_length=2048)),
                ('local', fields.BooleanField(default=False, db_index=True)),
                ('organizer', fields.ForeignKeyField('models.Actor', source_field='organizer_id', db_constraint=True, to_field='id', related_name='opportunities', on_delete=OnDelete.CASCADE)),
                ('poster', fields.ForeignKeyField('models.Actor', source_field='poster_id', null=True, db_constraint=True, to_field='id', related_name='posted_opportunities', on_delete=OnDelete.SET_NULL)),
                ('url', fields.CharField(null=True, max_length=2048)),
                ('title', fields.CharField(max_length=300)),
                ('content', fields.TextField(default='', unique=False)),
                ('source', fields.TextField(default='', unique=False)),
                ('kind', fields.CharField(max_length=24)),
                ('purpose', fields.CharField(default='offer', max_length=8)),
                ('place_kind', fields.CharField(default='here', max_length=8)),
                ('place_name', fields.CharField(default='', max_length=300)),
                ('starts', fields.DateField(null=True)),
                ('ends', fields.DateField(null=True)),
                ('expires', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='open', db_index=True, max_length=16)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('removed_reason', fields.TextField(default='', unique=False)),
                ('language', fields.CharField(null=True, max_length=35)),
                ('languages', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('name_map', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('content_map', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('source_map', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('asks_money', fields.BooleanField(default=False)),
                ('search_text', fields.TextField(default='', unique=False)),
                ('data', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('published', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'opportunities', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An offer or a request (a job, a room, a mentor...): ours (local, published by the association for'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Answer',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('opportunity', fields.ForeignKeyField('models.Opportunity', source_field='opportunity_id', db_constraint=True, to_field='id', related_name='answers', on_delete=OnDelete.CASCADE)),
                ('parent', fields.ForeignKeyField('models.Answer', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='replies', on_delete=OnDelete.CASCADE)),
                ('uri', fields.CharField(null=True, unique=True, max_length=2048)),
                ('actor', fields.ForeignKeyField('models.Actor', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='opportunity_answers', on_delete=OnDelete.SET_NULL)),
                ('name', fields.CharField(default='', max_length=200)),
                ('email', fields.CharField(null=True, max_length=320)),
                ('message', fields.TextField(unique=False)),
                ('from_poster', fields.BooleanField(default=False)),
                ('reveal', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'opportunity_answers', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A message about an opportunity: an answer from a visitor (name and email), a member or a'},
            bases=['Model'],
        ),
    ]
