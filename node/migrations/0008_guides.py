from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_forum')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Guide',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uri', fields.CharField(unique=True, max_length=2048)),
                ('local', fields.BooleanField(default=False, db_index=True)),
                ('organizer', fields.ForeignKeyField('models.Actor', source_field='organizer_id', db_constraint=True, to_field='id', related_name='guides', on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(null=True, max_length=2048)),
                ('slug', fields.CharField(db_index=True, max_length=100)),
                ('topic', fields.CharField(db_index=True, max_length=64)),
                ('position', fields.IntField(default=0)),
                ('title', fields.CharField(max_length=300)),
                ('summary', fields.TextField(default='', unique=False)),
                ('source', fields.TextField(default='', unique=False)),
                ('content', fields.TextField(default='', unique=False)),
                ('language', fields.CharField(null=True, max_length=35)),
                ('name_map', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('content_map', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('source_map', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('review_days', fields.IntField(null=True)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reviewed_by', fields.CharField(default='', max_length=512)),
                ('stale_notified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('data', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('published', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'guides', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One guide: ours (local) or received from a followed association (the network guides).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GuideRevision',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guide', fields.ForeignKeyField('models.Guide', source_field='guide_id', db_constraint=True, to_field='id', related_name='revisions', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.Actor', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='guide_revisions', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharField(default='accepted', max_length=16)),
                ('note', fields.CharField(default='', max_length=500)),
                ('title', fields.CharField(max_length=300)),
                ('language', fields.CharField(max_length=35)),
                ('source', fields.TextField(default='', unique=False)),
                ('translations', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('decided_by', fields.CharField(default='', max_length=512)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'guide_revisions', 'app': 'models', 'pk_attr': 'id', 'table_description': "One save of a guide (accepted), or a member's proposal (pending until an editor decides)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GuideTopic',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=200)),
                ('name_map', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('position', fields.IntField(default=100)),
            ],
            options={'table': 'guide_topics', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A topic the admin added beside the built-in ones (node/guides/topics.py).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GuideWriter',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.OneToOneField('models.Actor', source_field='actor_id', db_constraint=True, to_field='id', related_name='guide_writer', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'guide_writers', 'app': 'models', 'pk_attr': 'id', 'table_description': "A member the admin trusts to write guides without an editor's review."},
            bases=['Model'],
        ),
    ]
